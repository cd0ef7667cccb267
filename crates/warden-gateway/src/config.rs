//! The gateway's configuration file (TOML). Every key is documented here
//! and unknown keys are errors that name them.
//!
//! ```toml
//! lan-interfaces = ["br-lan"]          # watched with libpcap (DHCP, DNS, flows)
//! gateway-address = "192.168.1.1"      # the LAN address: DNS and the remediation page
//! local-networks = ["192.168.1.0/24"]
//! state-dir = "/var/lib/warden"        # SQLite store, API token, applied ruleset
//! deployment = "home"                  # home | office | healthcare | industrial
//! unknown-devices = "observe"          # observe | internet-only | block (default: by deployment)
//! api-listen = "192.168.1.1:8443"      # REST API (token), LAN side only
//! remediation-listen = "192.168.1.1:8080"
//! web-listen = "192.168.1.1:443"       # the API (and dashboard) over HTTPS, warden's own certificate
//! web-plain-http = false               # true: web-listen without TLS (only behind another TLS proxy)
//! retention-days = 30                 # the default for every data class below
//! privacy = "hide-personal"            # full | hide-personal | aggregates
//! infrastructure = []                  # MACs of the LAN's own equipment (an upstream router): never policed
//!
//! [mud]
//! signature = "require"                # require | warn | off
//! trust = ["/etc/warden/mud-signers.pem"]   # roots for MUD signatures
//! https-roots = []                     # extra roots for HTTPS, beside the system's
//! allow-private = false                # fetch from private and special-purpose addresses too
//! allow-prefixes = []                  # ... or only from these (an internal MUD server)
//! max-bytes = 1048576
//! connect-timeout-ms = 5000
//! total-timeout-ms = 20000
//!
//! [quarantine]
//! automatic = true
//! kinds = ["scan.horizontal", "scan.vertical", "bruteforce", "flood.*", "dns.water-torture"]
//! min-severity = "medium"
//! follow-new-mac = true                # a quarantined device back with a new MAC stays quarantined
//!
//! [controllers]                        # as in the deployment context
//! "urn:ietf:params:mud:dns" = ["192.168.1.1"]
//!
//! [dns]
//! servers = []                         # resolvers whose answers fill the name sets, beside gateway-address
//! min-ttl = 300                        # an address learned from an answer lives at least this long (s)
//! max-ttl = 86400                      # ... and at most this long, whatever TTL the answer claims
//! addresses-per-name = 64              # more addresses for one name are refused (counted, alerted)
//!
//! [dhcp]
//! servers = []                         # DHCP servers whose ACKs bind addresses, beside gateway-address
//!
//! [retention]                          # days, per data class (each: retention-days unless set)
//! identity = 365                       # a device not seen this long is forgotten, every record of it
//! flows = 30                           # flow summaries and hourly traffic
//! dns-names = 7                        # flow summaries whose remote is a DNS name
//! alerts = 90                          # alerts and their evidence
//! assessments = 365
//! events = 30                          # the audit trail and MUD fetch attempts
//!
//! [support]                            # when a device's security updates end
//! at-end = "tell"                      # tell | internet-only | updates-only (default: by deployment)
//! update-hosts = []                    # updates-only: the DNS names a device may still reach (HTTPS)
//! catalogue = "/etc/warden/support.toml"   # your own support periods, before warden's catalogue
//! ```
//!
//! At the end of a device's support period: `tell` alerts the owner (home);
//! `internet-only` keeps the device's own rules but takes away the local
//! network (office); `updates-only` leaves DNS, NTP and the `update-hosts`
//! over HTTPS (healthcare, industrial).
//!
//! The gateway believes DNS answers only from gateway-address, its LAN
//! interfaces' IPv6 addresses (read at start) and `dns.servers`, and DHCP
//! ACKs only from gateway-address and `dhcp.servers`,
//! in frames sent by the gateway itself or by `infrastructure` (see
//! [`crate::trust`]): a resolver or DHCP server on a LAN port (a Pi-hole) is
//! believed only when its MAC is listed in `infrastructure` as well.

use serde::Deserialize;
use std::collections::BTreeMap;
use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use warden_mud::{Context, Deployment, Endpoint, IpPrefix};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum UnknownDevices {
    /// Not in the ruleset: traffic passes, the gateway only watches.
    Observe,
    /// The internet, but no other device on the LAN (no lateral movement).
    InternetOnly,
    /// Nothing but DHCP, DNS to the gateway, and the remediation page.
    Block,
}

impl UnknownDevices {
    /// The documented default for each deployment.
    pub fn default_for(d: Deployment) -> UnknownDevices {
        match d {
            Deployment::Home => UnknownDevices::Observe,
            Deployment::Office => UnknownDevices::InternetOnly,
            Deployment::Healthcare | Deployment::Industrial => UnknownDevices::Block,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum SignaturePolicy {
    /// A MUD file without a valid signature is not applied.
    Require,
    /// Applied, with an alert saying the signature is missing or bad.
    Warn,
    /// Not checked.
    Off,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct MudConfig {
    #[serde(default = "require")]
    pub signature: SignaturePolicy,
    #[serde(default)]
    pub trust: Vec<PathBuf>,
    #[serde(default)]
    pub https_roots: Vec<PathBuf>,
    #[serde(default)]
    pub allow_private: bool,
    /// Prefixes MUD files may be fetched from although they are private or
    /// special-purpose (a maker's or the company's own MUD server).
    #[serde(default)]
    pub allow_prefixes: Vec<String>,
    #[serde(default = "max_bytes")]
    pub max_bytes: usize,
    #[serde(default = "connect_ms")]
    pub connect_timeout_ms: u64,
    #[serde(default = "total_ms")]
    pub total_timeout_ms: u64,
}

fn require() -> SignaturePolicy {
    SignaturePolicy::Require
}
fn max_bytes() -> usize {
    1 << 20
}
fn connect_ms() -> u64 {
    5000
}
fn total_ms() -> u64 {
    20_000
}
fn yes() -> bool {
    true
}
fn retention() -> u32 {
    30
}

impl Default for MudConfig {
    fn default() -> Self {
        MudConfig {
            signature: SignaturePolicy::Require,
            trust: vec![],
            https_roots: vec![],
            allow_private: false,
            allow_prefixes: vec![],
            max_bytes: max_bytes(),
            connect_timeout_ms: connect_ms(),
            total_timeout_ms: total_ms(),
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
/// The `[quarantine]` section as written.
pub struct QuarantineConfig {
    #[serde(default = "yes")]
    pub automatic: bool,
    #[serde(default = "default_kinds")]
    pub kinds: Vec<String>,
    #[serde(default = "medium")]
    pub min_severity: String,
    /// A quarantined device that comes back with a new MAC address (the
    /// same MUD URL, DHCP host name and vendor class) is quarantined again
    /// under its new MAC; false: only alerted.
    #[serde(default = "yes")]
    pub follow_new_mac: bool,
}

fn default_kinds() -> Vec<String> {
    [
        "scan.horizontal",
        "scan.vertical",
        "bruteforce",
        "flood.*",
        "dns.water-torture",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect()
}
fn medium() -> String {
    "medium".into()
}

impl Default for QuarantineConfig {
    fn default() -> Self {
        QuarantineConfig {
            automatic: true,
            kinds: default_kinds(),
            min_severity: medium(),
            follow_new_mac: true,
        }
    }
}

/// A detector kind in `quarantine.kinds`: one kind, or every kind whose
/// name starts with a prefix (`flood.*`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KindPattern {
    Kind(warden_detect::Kind),
    Prefix(String),
}

impl KindPattern {
    /// The pattern a `quarantine.kinds` entry names; None when it names no
    /// detector (a typo must not silently change what is quarantined).
    pub fn parse(s: &str) -> Option<KindPattern> {
        match s.strip_suffix('*') {
            Some(prefix) => warden_detect::Kind::ALL
                .iter()
                .any(|x| x.name().starts_with(prefix))
                .then(|| KindPattern::Prefix(prefix.to_string())),
            None => warden_detect::Kind::parse(s).map(KindPattern::Kind),
        }
    }

    pub fn matches(&self, kind: warden_detect::Kind) -> bool {
        match self {
            KindPattern::Kind(k) => *k == kind,
            KindPattern::Prefix(p) => kind.name().starts_with(p.as_str()),
        }
    }
}

/// The `[quarantine]` section, checked: detector kinds and the severity
/// are the detectors' own values.
#[derive(Debug, Clone)]
pub struct Quarantine {
    pub automatic: bool,
    pub kinds: Vec<KindPattern>,
    pub min_severity: warden_detect::Severity,
    pub follow_new_mac: bool,
}

impl Quarantine {
    /// Whether an alert of `kind` triggers quarantine.
    pub fn triggers(&self, kind: warden_detect::Kind) -> bool {
        self.kinds.iter().any(|k| k.matches(kind))
    }

    /// Whether an alert of this kind and severity, with the device as its
    /// source, quarantines the device (when `automatic`).
    pub fn quarantines(
        &self,
        kind: warden_detect::Kind,
        severity: warden_detect::Severity,
    ) -> bool {
        self.automatic && self.triggers(kind) && severity >= self.min_severity
    }

    fn from_raw(r: QuarantineConfig) -> Result<Quarantine, ConfigError> {
        let kinds = r
            .kinds
            .iter()
            .map(|k| {
                KindPattern::parse(k).ok_or_else(|| {
                    ConfigError(format!(
                        "quarantine.kinds: {k:?} names no detector (known: {})",
                        warden_detect::Kind::ALL
                            .iter()
                            .map(|x| x.name())
                            .collect::<Vec<_>>()
                            .join(", ")
                    ))
                })
            })
            .collect::<Result<Vec<_>, _>>()?;
        let min_severity = warden_detect::Severity::parse(&r.min_severity).ok_or_else(|| {
            ConfigError(format!(
                "quarantine.min-severity: {:?} is not low, medium, high or critical",
                r.min_severity
            ))
        })?;
        Ok(Quarantine {
            automatic: r.automatic,
            kinds,
            min_severity,
            follow_new_mac: r.follow_new_mac,
        })
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct DnsConfig {
    #[serde(default)]
    pub servers: Vec<IpAddr>,
    #[serde(default = "min_ttl")]
    pub min_ttl: u32,
    #[serde(default = "max_ttl")]
    pub max_ttl: u32,
    #[serde(default = "per_name")]
    pub addresses_per_name: usize,
}

fn min_ttl() -> u32 {
    300
}
fn max_ttl() -> u32 {
    86_400
}
fn per_name() -> usize {
    64
}

impl Default for DnsConfig {
    fn default() -> Self {
        DnsConfig {
            servers: vec![],
            min_ttl: min_ttl(),
            max_ttl: max_ttl(),
            addresses_per_name: per_name(),
        }
    }
}

impl DnsConfig {
    /// The lifetime of an address learned from an answer with `ttl`.
    pub fn clamp(&self, ttl: u32) -> u32 {
        ttl.clamp(self.min_ttl, self.max_ttl)
    }
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct DhcpConfig {
    #[serde(default)]
    pub servers: Vec<IpAddr>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct RawConfig {
    lan_interfaces: Vec<String>,
    gateway_address: IpAddr,
    #[serde(default)]
    local_networks: Vec<String>,
    state_dir: PathBuf,
    #[serde(default)]
    deployment: Deployment,
    #[serde(default)]
    unknown_devices: Option<UnknownDevices>,
    api_listen: SocketAddr,
    remediation_listen: SocketAddr,
    #[serde(default)]
    web_listen: Option<SocketAddr>,
    #[serde(default)]
    web_plain_http: bool,
    #[serde(default)]
    mud: MudConfig,
    #[serde(default)]
    quarantine: QuarantineConfig,
    #[serde(default)]
    controllers: BTreeMap<String, Vec<String>>,
    #[serde(default = "retention")]
    retention_days: u32,
    #[serde(default)]
    infrastructure: Vec<String>,
    #[serde(default)]
    dns: DnsConfig,
    #[serde(default)]
    dhcp: DhcpConfig,
    #[serde(default)]
    support: SupportConfigFile,
    #[serde(default)]
    privacy: Privacy,
    #[serde(default)]
    retention: RetentionFile,
}

/// How much of where devices talk to warden records.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Privacy {
    /// Every flow summary with its remote.
    Full,
    /// Personal devices (phones, computers, tablets, and what a person
    /// marked personal) are recorded without their destinations: counts
    /// and times only. The default: personal devices get the minimal
    /// recording.
    #[default]
    HidePersonal,
    /// No device's destinations: traffic per hour and counts only.
    Aggregates,
}

impl Privacy {
    pub fn name(self) -> &'static str {
        match self {
            Privacy::Full => "full",
            Privacy::HidePersonal => "hide-personal",
            Privacy::Aggregates => "aggregates",
        }
    }
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct RetentionFile {
    identity: Option<u32>,
    flows: Option<u32>,
    dns_names: Option<u32>,
    alerts: Option<u32>,
    assessments: Option<u32>,
    events: Option<u32>,
}

/// What happens when a device's support period ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum AtSupportEnd {
    /// Tell the owner (an alert); nothing changes on the network.
    Tell,
    /// The device keeps its rules but loses the local network.
    InternetOnly,
    /// Only DNS, NTP and the update hosts.
    UpdatesOnly,
}

impl AtSupportEnd {
    /// The documented default for each deployment.
    pub fn default_for(d: Deployment) -> AtSupportEnd {
        match d {
            Deployment::Home => AtSupportEnd::Tell,
            Deployment::Office => AtSupportEnd::InternetOnly,
            Deployment::Healthcare | Deployment::Industrial => AtSupportEnd::UpdatesOnly,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            AtSupportEnd::Tell => "tell",
            AtSupportEnd::InternetOnly => "internet-only",
            AtSupportEnd::UpdatesOnly => "updates-only",
        }
    }
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct SupportConfigFile {
    #[serde(default)]
    at_end: Option<AtSupportEnd>,
    #[serde(default)]
    update_hosts: Vec<String>,
    #[serde(default)]
    catalogue: Option<PathBuf>,
}

/// The `[support]` section, resolved.
#[derive(Debug, Clone)]
pub struct SupportConfig {
    pub at_end: AtSupportEnd,
    pub update_hosts: Vec<String>,
    /// warden's catalogue behind the operator's own.
    pub catalogue: warden_lifecycle::support::Catalogue,
}

#[derive(Debug, Clone)]
pub struct Config {
    pub lan_interfaces: Vec<String>,
    pub gateway_address: IpAddr,
    pub local_networks: Vec<IpPrefix>,
    pub state_dir: PathBuf,
    pub deployment: Deployment,
    pub unknown_devices: UnknownDevices,
    pub api_listen: SocketAddr,
    pub remediation_listen: SocketAddr,
    /// HTTPS for the API (and the dashboard); None: not served.
    pub web_listen: Option<SocketAddr>,
    pub web_plain_http: bool,
    pub mud: MudConfig,
    pub quarantine: Quarantine,
    pub support: SupportConfig,
    pub privacy: Privacy,
    /// Days each data class is kept.
    pub retention: warden_store::lifecycle::ClassRetention,
    /// The deployment context MUD files are resolved in.
    pub context: Context,
    pub retention_days: u32,
    /// MACs of the network's own equipment on the LAN (the upstream router
    /// when warden runs on a bridge or access point in front of it, a
    /// switch's management port): never given a policy, so a `block`
    /// default cannot lock the network out of its own gateway. Named by the
    /// operator only; nothing a device sends can put a MAC here.
    pub infrastructure: Vec<warden_mud::MacAddr>,
    pub dns: DnsConfig,
    pub dhcp: DhcpConfig,
}

impl Config {
    /// The resolvers whose answers are believed: the gateway and `dns.servers`.
    pub fn resolvers(&self) -> Vec<IpAddr> {
        let mut v = vec![self.gateway_address];
        v.extend(&self.dns.servers);
        v
    }
    /// The DHCP servers whose ACKs are believed: the gateway and `dhcp.servers`.
    pub fn dhcp_servers(&self) -> Vec<IpAddr> {
        let mut v = vec![self.gateway_address];
        v.extend(&self.dhcp.servers);
        v
    }
}

#[derive(Debug, thiserror::Error)]
#[error("config: {0}")]
pub struct ConfigError(pub String);

/// A configuration file is read at most this large.
pub const MAX_CONFIG_BYTES: u64 = 1 << 20;

/// What a running gateway takes from its configuration file re-read (on
/// SIGHUP).
#[derive(Debug)]
pub struct Reload {
    /// What the gateway runs with from now: the file's settings, except
    /// those only a restart changes, which keep their running values.
    pub config: Config,
    /// Settings the file changes that take effect only at the next start
    /// (what the LAN watchers, the listeners and the MUD fetcher were made
    /// with).
    pub at_restart: Vec<&'static str>,
    /// Settings the file changes that take effect now.
    pub now: Vec<&'static str>,
}

/// How a configuration file is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConfigFormat {
    /// warden's own TOML (this module documents every key).
    Toml,
    /// OpenWrt's UCI (`/etc/config/warden`; see [`crate::uci`]).
    Uci,
}

/// Where the gateway's configuration comes from (re-read on SIGHUP).
#[derive(Debug, Clone)]
pub struct ConfigSource {
    pub path: PathBuf,
    pub format: ConfigFormat,
}

impl ConfigSource {
    pub fn read(&self) -> Result<Config, ConfigError> {
        Config::read(&self.path, self.format)
    }
}

/// The text of a configuration file, at most [`MAX_CONFIG_BYTES`]; the
/// error names the file.
pub fn read_file(path: &std::path::Path) -> Result<String, ConfigError> {
    use std::io::Read;
    let f =
        std::fs::File::open(path).map_err(|e| ConfigError(format!("{}: {e}", path.display())))?;
    let mut text = String::new();
    f.take(MAX_CONFIG_BYTES + 1)
        .read_to_string(&mut text)
        .map_err(|e| ConfigError(format!("{}: {e}", path.display())))?;
    if text.len() as u64 > MAX_CONFIG_BYTES {
        return Err(ConfigError(format!(
            "{}: larger than {MAX_CONFIG_BYTES} bytes",
            path.display()
        )));
    }
    Ok(text)
}

impl Config {
    /// Reads and checks the file at `path` (see [`read_file`]).
    pub fn read(path: &std::path::Path, format: ConfigFormat) -> Result<Config, ConfigError> {
        let text = read_file(path)?;
        match format {
            ConfigFormat::Toml => Config::parse(&text),
            ConfigFormat::Uci => crate::uci::config(&text),
        }
        .map_err(|e| ConfigError(format!("{}: {}", path.display(), e.0)))
    }

    /// What of `new` (a file re-read while running) the gateway takes now.
    pub fn reload(&self, new: Config) -> Reload {
        let mut config = new;
        let mut at_restart = vec![];
        macro_rules! at_restart {
            ($name:literal, $($field:ident).+) => {
                if config.$($field).+ != self.$($field).+ {
                    at_restart.push($name);
                    config.$($field).+ = self.$($field).+.clone();
                }
            };
        }
        at_restart!("lan-interfaces", lan_interfaces);
        at_restart!("gateway-address", gateway_address);
        at_restart!("local-networks", local_networks);
        at_restart!("state-dir", state_dir);
        at_restart!("deployment", deployment);
        at_restart!("api-listen", api_listen);
        at_restart!("remediation-listen", remediation_listen);
        at_restart!("web-listen", web_listen);
        at_restart!("web-plain-http", web_plain_http);
        at_restart!("mud", mud);
        at_restart!("infrastructure", infrastructure);
        at_restart!("dns.servers", dns.servers);
        at_restart!("dhcp.servers", dhcp.servers);
        // The deployment context carries the deployment, the local networks
        // and (for DNS and NTP) the gateway's address: as running, when those
        // wait for the restart.
        if at_restart.contains(&"gateway-address") {
            config.context = self.context.clone();
        }
        config.context.deployment = config.deployment;
        config.context.local_networks = config.local_networks.clone();
        // The rest is taken now. Their types compare by what they print
        // (several hold compiled patterns or catalogues without equality).
        let mut now = vec![];
        macro_rules! taken {
            ($name:literal, $($field:ident).+) => {
                if format!("{:?}", config.$($field).+) != format!("{:?}", self.$($field).+) {
                    now.push($name);
                }
            };
        }
        taken!("unknown-devices", unknown_devices);
        taken!("quarantine", quarantine);
        taken!("support", support);
        taken!("privacy", privacy);
        taken!("retention", retention);
        taken!("retention-days", retention_days);
        taken!("controllers and my-controller", context);
        taken!("dns", dns);
        Reload {
            config,
            at_restart,
            now,
        }
    }
}

impl Config {
    pub fn parse(text: &str) -> Result<Config, ConfigError> {
        let r: RawConfig = toml::from_str(text).map_err(|e| ConfigError(e.to_string()))?;
        if r.lan_interfaces.is_empty() {
            return Err(ConfigError("lan-interfaces: at least one interface".into()));
        }
        let local_networks = r
            .local_networks
            .iter()
            .map(|s| {
                IpPrefix::parse(s).map_err(|e| ConfigError(format!("local-networks {s:?}: {e}")))
            })
            .collect::<Result<Vec<_>, _>>()?;
        let mut controllers = BTreeMap::new();
        for (k, v) in &r.controllers {
            let eps = v
                .iter()
                .map(|s| {
                    Endpoint::parse(s)
                        .map_err(|e| ConfigError(format!("controllers.{k:?} {s:?}: {e}")))
                })
                .collect::<Result<Vec<_>, _>>()?;
            controllers.insert(k.clone(), eps);
        }
        // The gateway answers DNS and NTP unless told otherwise.
        let gw = IpPrefix::parse(&r.gateway_address.to_string())
            .map_err(|e| ConfigError(e.to_string()))?;
        for urn in ["urn:ietf:params:mud:dns", "urn:ietf:params:mud:ntp"] {
            controllers
                .entry(urn.to_string())
                .or_insert_with(|| vec![Endpoint::Net(gw)]);
        }
        // A typo must not silently change what is quarantined: every
        // detector kind, pattern and severity is checked against the real ones.
        let quarantine = Quarantine::from_raw(r.quarantine.clone())?;
        let infrastructure = r
            .infrastructure
            .iter()
            .map(|m| {
                warden_mud::MacAddr::parse(m).ok_or_else(|| {
                    ConfigError(format!("infrastructure: {m:?} is not a MAC address"))
                })
            })
            .collect::<Result<Vec<_>, _>>()?;
        if r.retention_days == 0 {
            return Err(ConfigError(
                "retention-days: at least 1 (0 would delete every record at once)".into(),
            ));
        }
        // nftables takes element timeouts below 2^32 ms (49 days).
        if r.dns.min_ttl == 0 || r.dns.min_ttl > r.dns.max_ttl || r.dns.max_ttl > 30 * 86_400 {
            return Err(ConfigError(
                "dns.min-ttl and dns.max-ttl: 1 <= min-ttl <= max-ttl <= 2592000 (30 days)".into(),
            ));
        }
        if r.dns.addresses_per_name == 0 || r.dns.addresses_per_name > 4096 {
            return Err(ConfigError("dns.addresses-per-name: 1 to 4096".into()));
        }
        crate::fetch::AddressGuard::from_config(&r.mud)?;
        if r.mud.max_bytes == 0 || r.mud.max_bytes > 16 << 20 {
            return Err(ConfigError("mud.max-bytes: 1 byte to 16 MiB".into()));
        }
        let mut catalogue = warden_lifecycle::support::Catalogue::shipped();
        if let Some(path) = &r.support.catalogue {
            let text = std::fs::read_to_string(path)
                .map_err(|e| ConfigError(format!("support.catalogue: {}: {e}", path.display())))?;
            let own = warden_lifecycle::support::Catalogue::parse(&text)
                .map_err(|e| ConfigError(format!("support.catalogue: {}: {e}", path.display())))?;
            catalogue = catalogue.before(own);
        }
        for h in &r.support.update_hosts {
            let ok = !h.is_empty()
                && h.len() <= 253
                && h.split('.').all(|l| {
                    !l.is_empty()
                        && l.len() <= 63
                        && l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
                });
            if !ok {
                return Err(ConfigError(format!(
                    "support.update-hosts: {h:?} is not a DNS name"
                )));
            }
        }
        let days = |class: &str, v: Option<u32>| -> Result<i64, ConfigError> {
            match v {
                Some(0) => Err(ConfigError(format!(
                    "retention.{class}: at least 1 day (0 would delete every record at once)"
                ))),
                Some(d) if d > 36_500 => Err(ConfigError(format!(
                    "retention.{class}: at most 36500 days"
                ))),
                Some(d) => Ok(i64::from(d) * 86_400),
                None => Ok(i64::from(r.retention_days) * 86_400),
            }
        };
        let rf = &r.retention;
        let retention = warden_store::lifecycle::ClassRetention {
            identity: days("identity", rf.identity)?,
            flows: days("flows", rf.flows)?,
            dns_names: days("dns-names", rf.dns_names)?,
            alerts: days("alerts", rf.alerts)?,
            assessments: days("assessments", rf.assessments)?,
            events: days("events", rf.events)?,
        };
        let support = SupportConfig {
            at_end: r
                .support
                .at_end
                .unwrap_or_else(|| AtSupportEnd::default_for(r.deployment)),
            update_hosts: r.support.update_hosts.clone(),
            catalogue,
        };
        let context = Context {
            deployment: r.deployment,
            local_networks: local_networks.clone(),
            controllers,
            ..Default::default()
        };
        Ok(Config {
            unknown_devices: r
                .unknown_devices
                .unwrap_or_else(|| UnknownDevices::default_for(r.deployment)),
            lan_interfaces: r.lan_interfaces,
            gateway_address: r.gateway_address,
            local_networks,
            state_dir: r.state_dir,
            deployment: r.deployment,
            api_listen: r.api_listen,
            remediation_listen: r.remediation_listen,
            web_listen: r.web_listen,
            web_plain_http: r.web_plain_http,
            mud: r.mud,
            quarantine,
            support,
            privacy: r.privacy,
            retention,
            context,
            retention_days: r.retention_days,
            infrastructure,
            dns: r.dns,
            dhcp: r.dhcp,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const BASE: &str = "lan-interfaces = [\"lan0\"]\ngateway-address = \"10.0.0.1\"\nstate-dir = \"/tmp/x\"\napi-listen = \"10.0.0.1:8443\"\nremediation-listen = \"10.0.0.1:8080\"\n";

    #[test]
    fn defaults_follow_the_deployment_and_unknown_keys_are_refused() {
        let c = Config::parse(BASE).unwrap();
        assert_eq!(c.unknown_devices, UnknownDevices::Observe);
        assert_eq!(c.mud.signature, SignaturePolicy::Require);
        assert!(c
            .context
            .controllers
            .contains_key("urn:ietf:params:mud:dns"));
        assert_eq!(c.support.at_end, AtSupportEnd::Tell);
        assert_eq!(
            c.privacy,
            Privacy::HidePersonal,
            "personal devices: minimal recording"
        );
        assert_eq!(
            c.retention.dns_names,
            30 * 86_400,
            "retention-days by default"
        );
        let r = Config::parse(&format!("{BASE}retention-days = 60\nprivacy = \"aggregates\"\n[retention]\ndns-names = 7\nidentity = 365\n")).unwrap();
        assert_eq!(
            (
                r.retention.dns_names,
                r.retention.identity,
                r.retention.flows
            ),
            (7 * 86_400, 365 * 86_400, 60 * 86_400)
        );
        assert_eq!(r.privacy, Privacy::Aggregates);
        let e = Config::parse(&format!("{BASE}[retention]\nalerts = 0\n")).unwrap_err();
        assert!(
            e.to_string().contains("retention.alerts: at least 1 day"),
            "{e}"
        );
        assert!(Config::parse(&format!("{BASE}[retention]\nforever = 1\n")).is_err());
        assert!(c.support.catalogue.len() >= 3, "warden's own catalogue");
        let c = Config::parse(&format!("{BASE}deployment = \"healthcare\"\n")).unwrap();
        assert_eq!(c.unknown_devices, UnknownDevices::Block);
        assert_eq!(c.support.at_end, AtSupportEnd::UpdatesOnly);
        let o = Config::parse(&format!("{BASE}deployment = \"office\"\n")).unwrap();
        assert_eq!(o.support.at_end, AtSupportEnd::InternetOnly);
        let e = Config::parse(&format!("{BASE}[support]\nupdate-hosts = [\"a b\"]\n")).unwrap_err();
        assert!(
            e.to_string().contains("support.update-hosts: \"a b\""),
            "{e}"
        );
        let e = Config::parse(&format!(
            "{BASE}[support]\ncatalogue = \"/nonexistent/x.toml\"\n"
        ))
        .unwrap_err();
        assert!(
            e.to_string()
                .contains("support.catalogue: /nonexistent/x.toml"),
            "{e}"
        );
        let e = Config::parse(&format!("{BASE}[support]\nat-end = \"shrug\"\n")).unwrap_err();
        assert!(e.to_string().contains("shrug"), "{e}");
        let e = Config::parse(&format!("{BASE}colour = 1\n")).unwrap_err();
        assert!(e.to_string().contains("colour"), "{e}");
        assert!(c
            .quarantine
            .triggers(warden_detect::Kind::parse("flood.syn").unwrap()));
        assert!(c
            .quarantine
            .triggers(warden_detect::Kind::parse("scan.horizontal").unwrap()));
        assert!(!c
            .quarantine
            .triggers(warden_detect::Kind::parse("beacon").unwrap()));
    }

    #[test]
    fn typos_in_kinds_severities_and_retention_are_errors_naming_the_key() {
        for (extra, key) in [
            (
                "[quarantine]\nkinds = [\"scan.horizonal\"]\n",
                "quarantine.kinds",
            ),
            ("[quarantine]\nkinds = [\"flod.*\"]\n", "quarantine.kinds"),
            (
                "[quarantine]\nmin-severity = \"hihg\"\n",
                "quarantine.min-severity",
            ),
            ("retention-days = 0\n", "retention-days"),
            ("[dns]\nmax-ttl = 4294967\n", "dns.max-ttl"),
            ("[dns]\nmin-ttl = 600\nmax-ttl = 60\n", "dns.min-ttl"),
            ("[dns]\naddresses-per-name = 0\n", "dns.addresses-per-name"),
            ("[dhcp]\nservers = [\"dhcp.example\"]\n", "dhcp"),
        ] {
            let e = Config::parse(&format!("{BASE}{extra}")).unwrap_err();
            assert!(e.to_string().contains(key), "{extra}: {e}");
        }
        let ok = Config::parse(&format!(
            "{BASE}[quarantine]\nkinds = [\"spoof.*\", \"bruteforce\"]\nmin-severity = \"high\"\n"
        ))
        .unwrap();
        assert!(ok
            .quarantine
            .triggers(warden_detect::Kind::parse("spoof.source").unwrap()));
    }

    #[test]
    fn the_sample_configuration_parses() {
        let c = Config::parse(include_str!("../../../samples/gateway.toml")).unwrap();
        assert_eq!(c.lan_interfaces, vec!["br-lan".to_string()]);
        assert_eq!(c.retention_days, 30);
    }

    #[test]
    fn the_debian_packages_configuration_parses_and_keeps_state_where_the_unit_allows() {
        let c = Config::parse(include_str!("../../../packaging/debian/gateway.toml")).unwrap();
        // The unit's StateDirectory=warden: the only writable place under
        // ProtectSystem=strict.
        assert_eq!(c.state_dir, PathBuf::from("/var/lib/warden"));
        let unit = include_str!("../../../packaging/debian/warden.service");
        assert!(unit.contains("StateDirectory=warden\n"));
        assert!(
            unit.contains("ExecStart=/usr/bin/warden gateway --config /etc/warden/gateway.toml\n")
        );
        assert_eq!(c.mud.signature, SignaturePolicy::Warn);
    }

    #[test]
    fn a_reload_takes_what_can_change_now_and_names_what_waits() {
        let text = include_str!("../../../samples/gateway.toml");
        let running = Config::parse(text).unwrap();
        let same = running.reload(Config::parse(text).unwrap());
        assert!(
            same.at_restart.is_empty() && same.now.is_empty(),
            "{same:?}"
        );
        let changed = text
            .replace("automatic = true", "automatic = false")
            .replace("api-listen = \"", "api-listen = \"127.0.0.9:1\"\n# was \"")
            .replace("lan-interfaces = [", "lan-interfaces = [\"lan9\", ");
        let r = running.reload(Config::parse(&changed).unwrap());
        assert_eq!(r.now, ["quarantine"], "{r:?}");
        assert_eq!(r.at_restart, ["lan-interfaces", "api-listen"], "{r:?}");
        assert!(!r.config.quarantine.automatic);
        assert_eq!(r.config.api_listen, running.api_listen);
        assert_eq!(r.config.lan_interfaces, running.lan_interfaces);
    }

    #[test]
    fn a_file_too_large_or_missing_is_refused_by_name() {
        let dir = std::env::temp_dir().join(format!("warden-cfg-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let big = dir.join("big.toml");
        std::fs::write(&big, vec![b'#'; MAX_CONFIG_BYTES as usize + 1]).unwrap();
        let e = Config::read(&big, ConfigFormat::Toml)
            .unwrap_err()
            .to_string();
        assert!(e.contains("big.toml") && e.contains("larger than"), "{e}");
        let e = Config::read(&dir.join("none.toml"), ConfigFormat::Uci)
            .unwrap_err()
            .to_string();
        assert!(e.contains("none.toml"), "{e}");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
