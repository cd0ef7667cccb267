//! Alerts: typed, deduplicated per device, kind and time window, with
//! evidence, a plain-language explanation and what the household should do.

use serde::Serialize;
use std::collections::{BTreeMap, HashMap};
use warden_mud::Deployment;

/// What was detected.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub enum Kind {
    /// One source, one port, many hosts (Mirai probes TCP 23 and 2323).
    #[serde(rename = "scan.horizontal")]
    ScanHorizontal,
    /// One source, one host, many ports.
    #[serde(rename = "scan.vertical")]
    ScanVertical,
    /// ARP requests for many addresses.
    #[serde(rename = "scan.arp")]
    ScanArp,
    /// ICMP echo requests to many addresses.
    #[serde(rename = "scan.icmp")]
    ScanIcmp,
    /// Repeated logins or short sessions to one login service.
    #[serde(rename = "bruteforce")]
    BruteForce,
    #[serde(rename = "flood.syn")]
    FloodSyn,
    #[serde(rename = "flood.ack")]
    FloodAck,
    #[serde(rename = "flood.udp")]
    FloodUdp,
    #[serde(rename = "flood.icmp")]
    FloodIcmp,
    #[serde(rename = "flood.gre")]
    FloodGre,
    #[serde(rename = "flood.http")]
    FloodHttp,
    /// Answers to requests the device never sent (it is the victim of a
    /// reflection/amplification attack).
    #[serde(rename = "flood.reflected")]
    FloodReflected,
    /// The device answers spoofed requests: it is used as a reflector.
    #[serde(rename = "reflector")]
    Reflector,
    /// Many random subdomains of one domain at a high rate.
    #[serde(rename = "dns.water-torture")]
    DnsWaterTorture,
    /// Data carried in DNS names (long encoded labels, TXT/NULL/MX/CNAME).
    #[serde(rename = "dns.tunnel")]
    DnsTunnel,
    /// DNS sent to a resolver other than the configured ones.
    #[serde(rename = "dns.other-resolver")]
    DnsOtherResolver,
    /// Periodic connections to one remote with low jitter.
    #[serde(rename = "beacon")]
    Beacon,
    /// Traffic to an address or name on the blocklist.
    #[serde(rename = "blocklisted")]
    Blocklisted,
    /// A login (Telnet, FTP, HTTP Basic) in cleartext.
    #[serde(rename = "cleartext-credentials")]
    CleartextCredentials,
    /// A flow outside the device's MUD profile or learned baseline.
    #[serde(rename = "mud.violation")]
    MudViolation,
    /// A TLS or DTLS handshake outside the RFC 9761 profile its MUD file
    /// declares for the connection.
    #[serde(rename = "mud.tls-profile")]
    MudTlsProfile,
    /// ARP or neighbour advertisements claiming another device's address.
    #[serde(rename = "spoof.arp")]
    SpoofArp,
    /// Packets to the outside from many source addresses that are not local.
    #[serde(rename = "spoof.source")]
    SpoofSource,
}

impl Kind {
    pub const ALL: [Kind; 23] = [
        Kind::ScanHorizontal,
        Kind::ScanVertical,
        Kind::ScanArp,
        Kind::ScanIcmp,
        Kind::BruteForce,
        Kind::FloodSyn,
        Kind::FloodAck,
        Kind::FloodUdp,
        Kind::FloodIcmp,
        Kind::FloodGre,
        Kind::FloodHttp,
        Kind::FloodReflected,
        Kind::Reflector,
        Kind::DnsWaterTorture,
        Kind::DnsTunnel,
        Kind::DnsOtherResolver,
        Kind::Beacon,
        Kind::Blocklisted,
        Kind::CleartextCredentials,
        Kind::MudViolation,
        Kind::MudTlsProfile,
        Kind::SpoofArp,
        Kind::SpoofSource,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Kind::ScanHorizontal => "scan.horizontal",
            Kind::ScanVertical => "scan.vertical",
            Kind::ScanArp => "scan.arp",
            Kind::ScanIcmp => "scan.icmp",
            Kind::BruteForce => "bruteforce",
            Kind::FloodSyn => "flood.syn",
            Kind::FloodAck => "flood.ack",
            Kind::FloodUdp => "flood.udp",
            Kind::FloodIcmp => "flood.icmp",
            Kind::FloodGre => "flood.gre",
            Kind::FloodHttp => "flood.http",
            Kind::FloodReflected => "flood.reflected",
            Kind::Reflector => "reflector",
            Kind::DnsWaterTorture => "dns.water-torture",
            Kind::DnsTunnel => "dns.tunnel",
            Kind::DnsOtherResolver => "dns.other-resolver",
            Kind::Beacon => "beacon",
            Kind::Blocklisted => "blocklisted",
            Kind::CleartextCredentials => "cleartext-credentials",
            Kind::MudViolation => "mud.violation",
            Kind::MudTlsProfile => "mud.tls-profile",
            Kind::SpoofArp => "spoof.arp",
            Kind::SpoofSource => "spoof.source",
        }
    }

    pub fn parse(s: &str) -> Option<Kind> {
        Kind::ALL.into_iter().find(|k| k.name() == s)
    }

    /// What the household should do when the device is the one acting.
    fn advice(self, role: Role) -> &'static str {
        use Kind::*;
        match (self, role) {
            (ScanHorizontal | ScanVertical | ScanArp | ScanIcmp, Role::Source)
            | (BruteForce, Role::Source)
            | (
                FloodSyn | FloodAck | FloodUdp | FloodIcmp | FloodGre | FloodHttp,
                Role::Source,
            )
            | (DnsWaterTorture, Role::Source)
            | (SpoofSource, _) => {
                "The device behaves like a bot. Unplug it from the network, reset it to factory settings, \
                 install the latest firmware before reconnecting, and change its password to a unique one. \
                 If it does this again after a reset, stop using it and return it to the seller or maker."
            }
            (Reflector, _) => {
                "The device answers requests from the internet and is used to amplify attacks on others. \
                 Turn off the service it exposes (often UPnP/SSDP or SNMP) or block it at the router, \
                 update its firmware, and ask the maker for a fix if it cannot be turned off."
            }
            (DnsTunnel, _) => {
                "The device hides data in DNS queries, which malware uses to talk to its controller. \
                 Disconnect it, reset it to factory settings and update its firmware before reconnecting."
            }
            (Beacon, _) => {
                "The device contacts one server at regular intervals. Many devices do this to report in; \
                 malware does it to take orders. Check whether the server belongs to the maker; if not, \
                 reset and update the device."
            }
            (Blocklisted, _) => {
                "The device talked to an address on your blocklist. Disconnect it, reset it, update its \
                 firmware, and find out why it contacted that address."
            }
            (CleartextCredentials, _) => {
                "A password crossed the network unencrypted, where anyone on it can read it. Turn off \
                 Telnet/FTP/plain-HTTP logins if the device allows it, change the password, and prefer \
                 devices that log in only over encrypted connections."
            }
            (DnsOtherResolver, _) => {
                "The device ignores the network's DNS servers. Some makers hard-code public resolvers; malware \
                 does it to avoid filtering. Check with the maker; block outbound DNS at the router if your \
                 network requires its own resolver."
            }
            (MudViolation, _) => {
                "The device did something its maker did not declare (or that it did not do before). \
                 If the gateway enforces the profile this was blocked; check for a firmware update \
                 and, if the behaviour continues, contact the maker."
            }
            (MudTlsProfile, _) => {
                "The device's encrypted connections no longer look like what its maker declared: its \
                 software changed. If you did not just update it, treat it as possibly compromised: \
                 restrict it, check the maker's site for an update notice, and reset it if in doubt."
            }
            (_, Role::Target) => {
                "Someone is attacking this device. Make sure it runs the latest firmware, has a unique \
                 strong password and exposes no services to the internet (turn off UPnP port forwarding)."
            }
            _ => "Check the device's firmware and settings.",
        }
    }
}

/// How urgent an alert is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Low,
    Medium,
    High,
    Critical,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Low => "low",
            Severity::Medium => "medium",
            Severity::High => "high",
            Severity::Critical => "critical",
        }
    }
    pub fn parse(s: &str) -> Option<Severity> {
        [
            Severity::Low,
            Severity::Medium,
            Severity::High,
            Severity::Critical,
        ]
        .into_iter()
        .find(|v| v.as_str() == s)
    }
    fn up(self) -> Severity {
        match self {
            Severity::Low => Severity::Medium,
            Severity::Medium => Severity::High,
            _ => Severity::Critical,
        }
    }
}

/// The device's part in what was detected.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// The device did it (scanner, flooder, client).
    Source,
    /// It was done to the device.
    Target,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Source => "source",
            Role::Target => "target",
        }
    }
}

/// The base severity of a kind, then scaled by the deployment: on
/// healthcare and industrial networks, everything except an inbound scan is
/// one step more urgent (a device that misbehaves there can hurt people or
/// stop a process); an office raises behaviour that leaks data (cleartext
/// logins, DNS tunnels, other resolvers).
pub fn severity(kind: Kind, role: Role, deployment: Deployment) -> Severity {
    use Kind::*;
    let base = match (kind, role) {
        (ScanHorizontal | ScanVertical | ScanArp | ScanIcmp, Role::Source) => Severity::High,
        (ScanHorizontal | ScanVertical | ScanArp | ScanIcmp, Role::Target) => Severity::Low,
        (BruteForce, Role::Source) => Severity::High,
        (BruteForce, Role::Target) => Severity::Medium,
        (FloodSyn | FloodAck | FloodUdp | FloodIcmp | FloodGre | FloodHttp, Role::Source) => {
            Severity::Critical
        }
        (FloodSyn | FloodAck | FloodUdp | FloodIcmp | FloodGre | FloodHttp, Role::Target) => {
            Severity::Medium
        }
        (FloodReflected, _) => Severity::Medium,
        (Reflector, _) => Severity::High,
        (DnsWaterTorture, _) => Severity::Critical,
        (DnsTunnel, _) => Severity::High,
        (DnsOtherResolver, _) => Severity::Low,
        (Beacon, _) => Severity::Low,
        (Blocklisted, _) => Severity::High,
        (CleartextCredentials, _) => Severity::Medium,
        (MudViolation, _) => Severity::Medium,
        (MudTlsProfile, _) => Severity::Medium,
        (SpoofArp, _) => Severity::High,
        (SpoofSource, _) => Severity::Critical,
    };
    let raise = match deployment {
        Deployment::Home => false,
        Deployment::Office => matches!(kind, CleartextCredentials | DnsTunnel | DnsOtherResolver),
        Deployment::Healthcare | Deployment::Industrial => !matches!(
            (kind, role),
            (
                ScanHorizontal | ScanVertical | ScanArp | ScanIcmp,
                Role::Target
            )
        ),
    };
    if raise {
        base.up()
    } else {
        base
    }
}

/// One flow or packet exchange cited as evidence.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct EvidenceFlow {
    pub protocol: &'static str,
    pub src: String,
    pub dst: String,
    pub first_ns: i64,
    pub packets: u64,
    pub bytes: u64,
}

#[derive(Debug, Clone, Serialize)]
pub struct Alert {
    pub kind: Kind,
    pub severity: Severity,
    /// The local device: its MAC, or its address when frames carry none.
    pub device: String,
    pub role: Role,
    /// First and last moment of the behaviour (capture time, ns).
    pub first_ns: i64,
    pub last_ns: i64,
    /// How many detections were folded into this alert.
    pub detections: u64,
    /// What happened, in one sentence.
    pub explanation: String,
    /// Other detections folded into this alert that say something
    /// different (another port scanned, another target), up to four.
    pub other_explanations: Vec<String>,
    /// What the household should do.
    pub advice: &'static str,
    /// Counters that crossed their thresholds, and the thresholds.
    pub counts: BTreeMap<String, u64>,
    /// Up to eight sample flows or packets.
    pub evidence: Vec<EvidenceFlow>,
}

/// One detection, before deduplication.
#[derive(Debug, Clone)]
pub struct Detection {
    pub kind: Kind,
    pub device: String,
    pub role: Role,
    pub first_ns: i64,
    pub last_ns: i64,
    pub explanation: String,
    pub counts: BTreeMap<String, u64>,
    pub evidence: Vec<EvidenceFlow>,
}

const MAX_EVIDENCE: usize = 8;

/// Deduplicates detections: one alert per device, kind and role while they
/// keep coming within `window_ns` of each other.
pub struct Alerts {
    window_ns: i64,
    deployment: Deployment,
    open: HashMap<(String, Kind, Role), usize>,
    list: Vec<Alert>,
    max: usize,
    pub dropped: u64,
}

impl Alerts {
    pub fn new(window_ns: i64, deployment: Deployment, max: usize) -> Alerts {
        Alerts {
            window_ns,
            deployment,
            open: HashMap::new(),
            list: Vec::new(),
            max,
            dropped: 0,
        }
    }

    pub fn raise(&mut self, d: Detection) {
        let key = (d.device.clone(), d.kind, d.role);
        if let Some(&i) = self.open.get(&key) {
            let a = &mut self.list[i];
            if d.first_ns <= a.last_ns.saturating_add(self.window_ns)
                && d.last_ns >= a.first_ns.saturating_sub(self.window_ns)
            {
                a.detections += 1;
                if d.explanation != a.explanation
                    && a.other_explanations.len() < 4
                    && !a.other_explanations.contains(&d.explanation)
                {
                    a.other_explanations.push(d.explanation);
                }
                a.first_ns = a.first_ns.min(d.first_ns);
                a.last_ns = a.last_ns.max(d.last_ns);
                for (k, v) in d.counts {
                    let e = a.counts.entry(k).or_default();
                    *e = (*e).max(v);
                }
                for e in d.evidence {
                    if a.evidence.len() < MAX_EVIDENCE && !a.evidence.contains(&e) {
                        a.evidence.push(e);
                    }
                }
                return;
            }
        }
        if self.list.len() >= self.max {
            self.dropped += 1;
            return;
        }
        let mut evidence = d.evidence;
        evidence.truncate(MAX_EVIDENCE);
        self.open.insert(key, self.list.len());
        self.list.push(Alert {
            kind: d.kind,
            severity: severity(d.kind, d.role, self.deployment),
            advice: d.kind.advice(d.role),
            device: d.device,
            role: d.role,
            first_ns: d.first_ns,
            last_ns: d.last_ns,
            detections: 1,
            explanation: d.explanation,
            other_explanations: Vec::new(),
            counts: d.counts,
            evidence,
        });
    }

    /// Alerts in a stable order: by time, device, kind.
    pub fn into_sorted(mut self) -> Vec<Alert> {
        self.list.sort_by(|a, b| {
            (a.first_ns, &a.device, a.kind, a.role).cmp(&(b.first_ns, &b.device, b.kind, b.role))
        });
        self.list
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn det(kind: Kind, t: i64) -> Detection {
        Detection {
            kind,
            device: "02:00:00:00:00:01".into(),
            role: Role::Source,
            first_ns: t,
            last_ns: t,
            explanation: "x".into(),
            counts: BTreeMap::from([("n".into(), t as u64)]),
            evidence: vec![],
        }
    }

    #[test]
    fn dedup_within_window_and_split_after() {
        let s = 1_000_000_000;
        let mut a = Alerts::new(600 * s, Deployment::Home, 100);
        a.raise(det(Kind::ScanHorizontal, 0));
        a.raise(det(Kind::ScanHorizontal, 300 * s));
        a.raise(det(Kind::ScanVertical, 300 * s));
        a.raise(det(Kind::ScanHorizontal, 2000 * s));
        let v = a.into_sorted();
        assert_eq!(v.len(), 3);
        assert_eq!(v[0].detections, 2);
        assert_eq!(v[0].counts["n"], 300 * s as u64);
        assert_eq!(v[2].first_ns, 2000 * s);
    }

    #[test]
    fn context_raises_severity() {
        assert_eq!(
            severity(Kind::Beacon, Role::Source, Deployment::Home),
            Severity::Low
        );
        assert_eq!(
            severity(Kind::Beacon, Role::Source, Deployment::Healthcare),
            Severity::Medium
        );
        assert_eq!(
            severity(Kind::ScanVertical, Role::Target, Deployment::Industrial),
            Severity::Low
        );
        assert_eq!(
            severity(Kind::CleartextCredentials, Role::Source, Deployment::Office),
            Severity::High
        );
    }

    #[test]
    fn kind_names_round_trip() {
        for k in Kind::ALL {
            assert_eq!(Kind::parse(k.name()), Some(k));
            assert_eq!(serde_json::to_value(k).unwrap(), k.name());
        }
    }
}
