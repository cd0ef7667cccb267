//! The command line: every subcommand and flag as a typed value (clap's
//! derive), with the help texts people read. `main.rs` dispatches on these;
//! nothing here does any work.

use clap::{Args, Parser, Subcommand, ValueEnum};
use std::path::PathBuf;
use warden_mud::{Dialect, ValidateOptions};

pub(crate) const EXIT_HELP: &str = "\
Exit codes:
  0  ok
  1  findings: a file is invalid, a signature does not verify, rules were left out,
     an alert of medium or higher severity, a MUD violation
  2  usage or input error: bad arguments, unreadable file, bad context file";

pub(crate) const PROBE_EXIT_HELP: &str = "\
Exit codes:
  0  nothing weak found
  1  findings: a default credential accepted, TLS older than 1.2 or a weak
     certificate, an admin page without login, an open resolver, a login
     service without brute-force protection
  2  usage or input error, or a target outside --allow (nothing is sent)";

#[derive(Parser)]
#[command(name = "warden", version, about = "Keeps IoT devices from being the weak spot of their network.", after_help = EXIT_HELP)]
pub(crate) struct Cli {
    #[command(subcommand)]
    pub(crate) cmd: Cmd,
}

#[derive(Subcommand)]
pub(crate) enum Cmd {
    /// Capture packets from an interface into a pcap file (evidence, replays).
    #[command(after_help = EXIT_HELP)]
    Capture {
        /// The interface to read, e.g. eth0 or br-lan.
        #[arg(long)]
        interface: String,
        /// A BPF filter in tcpdump syntax, e.g. "udp port 67 or udp port 547".
        #[arg(long)]
        filter: Option<String>,
        /// Stop after this many packets.
        #[arg(long)]
        count: Option<u64>,
        /// Stop after this many seconds.
        #[arg(long)]
        seconds: Option<u64>,
        /// The pcap file to write.
        #[arg(long)]
        write: PathBuf,
    },
    /// Analyse captures (pcap, pcapng, gzip): devices, who they talk to, anomalies.
    #[command(after_help = EXIT_HELP)]
    Analyze {
        /// Capture files (pcap, pcapng, gzip).
        #[arg(required_unless_present = "interface")]
        files: Vec<PathBuf>,
        /// Analyse a live interface instead of files (libpcap).
        #[arg(long, conflicts_with = "files")]
        interface: Option<String>,
        /// With --interface: stop after this many seconds (default 60).
        #[arg(long, requires = "interface")]
        seconds: Option<u64>,
        /// With --interface: a BPF filter in tcpdump syntax.
        #[arg(long, requires = "interface")]
        filter: Option<String>,
        /// Report only this device (MAC).
        #[arg(long)]
        device: Option<String>,
        /// A local network (CIDR), repeatable or comma-separated; default:
        /// private, CGNAT, link-local and unique-local ranges.
        #[arg(long, value_delimiter = ',')]
        lan: Vec<String>,
        /// Print a JSON report (schema: schemas/analyze-report.schema.json).
        #[arg(long)]
        json: bool,
        /// MUD files to check devices against: a file, or a directory of
        /// *.json/*.mud files. Devices that announce a MUD URL (DHCP, LLDP)
        /// are bound to the file whose mud-url matches. Repeatable.
        #[arg(long)]
        mud: Vec<PathBuf>,
        /// Bind a device to a MUD file by hand: MAC=FILE. Repeatable.
        #[arg(long)]
        bind: Vec<String>,
        /// Accept pre-RFC constructs in the MUD files, each as a warning.
        #[arg(long)]
        legacy: bool,
        /// The deployment context (TOML): deployment kind (scales alert
        /// severity), local networks, controllers (see warden-mud's Context).
        #[arg(long)]
        context: Option<PathBuf>,
        /// A blocklist: one address, CIDR prefix or domain per line (hosts-file lines too).
        #[arg(long)]
        blocklist: Option<PathBuf>,
        /// Detector thresholds (TOML); missing keys keep their defaults.
        #[arg(long)]
        thresholds: Option<PathBuf>,
        /// Report only; run no detector.
        #[arg(long)]
        no_detect: bool,
        /// Flow workers: packets are shared out by flow over this many
        /// threads, beside one that reads and one that merges in capture
        /// order. The report is the same whatever the number. Default 1
        /// (everything on one thread): on two cores, two workers measured
        /// 0.9x-1.2x the speed of one thread (README, Benchmarks).
        #[arg(long, value_parser = clap::value_parser!(u16).range(1..=256))]
        threads: Option<u16>,
    },
    /// Write a MUD profile (strict RFC 8520) from a device's observed traffic.
    #[command(after_help = EXIT_HELP)]
    Profile {
        /// Capture files (pcap, pcapng, gzip).
        #[arg(required = true)]
        files: Vec<PathBuf>,
        /// The device (MAC address).
        #[arg(long)]
        device: String,
        /// The profile's mud-url (default: a placeholder under example.invalid).
        #[arg(long)]
        mud_url: Option<String>,
        /// The deployment context (TOML): its DNS/NTP controllers and local networks.
        #[arg(long)]
        context: Option<PathBuf>,
        /// Local networks (CIDR), as for analyze.
        #[arg(long, value_delimiter = ',')]
        lan: Vec<String>,
    },
    /// Manufacturer Usage Description files (RFC 8520): validate, explain, compile, verify.
    #[command(subcommand, after_help = EXIT_HELP)]
    Mud(MudCmd),
    /// The standards warden assesses against: the EN 303 645 catalog and its crosswalks.
    #[command(subcommand, after_help = EXIT_HELP)]
    Standards(StdCmd),
    /// Actively test one device: open ports and banners, default
    /// credentials (Telnet, SSH, FTP, HTTP), TLS versions and certificate,
    /// open admin pages, SSDP, an open resolver, brute-force protection.
    /// Only addresses inside --allow are ever touched.
    #[command(after_help = PROBE_EXIT_HELP)]
    Probe {
        /// The device's address (an IP address: names are not resolved).
        target: String,
        /// Address ranges the probe may touch (CIDR), repeatable; required.
        #[arg(long, required = true, value_delimiter = ',')]
        allow: Vec<String>,
        /// Ports: a list and ranges ("22,80,8000-8100"); default: IoT ports.
        #[arg(long)]
        ports: Option<String>,
        /// New connections per second, at most (the scan).
        #[arg(long, default_value_t = 500)]
        rate: u32,
        /// Connections in flight at once (the scan).
        #[arg(long, default_value_t = 64)]
        parallel: usize,
        /// Credentials to try (CSV `username,password`) instead of Mirai's
        /// list and the common vendor defaults.
        #[arg(long, conflicts_with = "no_credentials")]
        credentials: Option<PathBuf>,
        /// Try no credentials (and so no brute-force check).
        #[arg(long)]
        no_credentials: bool,
        /// Login attempts in flight at once, per service.
        #[arg(long, default_value_t = 4)]
        login_parallel: usize,
        /// Wrong passwords sent to check brute-force protection (0: off).
        #[arg(long, default_value_t = 8)]
        brute_force: usize,
        /// Leave out the TLS checks.
        #[arg(long)]
        no_tls: bool,
        /// Leave out the UDP checks (SSDP, open resolver).
        #[arg(long)]
        no_udp: bool,
        /// Only the port scan (no logins, TLS or UDP checks).
        #[arg(long)]
        scan_only: bool,
        /// Print JSON (the input of `warden assess --probe`).
        #[arg(long)]
        json: bool,
    },
    /// Assess a device against EN 303 645 from its maker's declaration and,
    /// when given, what `warden analyze` saw it do; results per regime.
    #[command(after_help = EXIT_HELP)]
    Assess(AssessArgs),
    /// The gateway daemon: learns devices (DHCP option 161), fetches and
    /// verifies their MUD files, enforces them with nftables, watches for
    /// compromise, quarantines, and serves its REST API and remediation page.
    #[command(after_help = EXIT_HELP)]
    Gateway {
        /// The configuration (TOML; see crates/warden-gateway/src/config.rs).
        /// Re-read on SIGHUP.
        #[arg(long)]
        config: PathBuf,
        /// The configuration is OpenWrt's UCI file (/etc/config/warden),
        /// not TOML.
        #[arg(long)]
        uci: bool,
        /// Log lines as plain text (for the journal) or as JSON objects,
        /// one per line (for a log collector).
        #[arg(long, value_enum, default_value = "text")]
        log_format: LogFormatArg,
    },
    /// Procurement and deployment policies, checked against assessments.
    #[command(subcommand, after_help = EXIT_HELP)]
    Policy(PolicyCmd),
    /// The household's devices and where each is in its life, through the
    /// running gateway's API (its configuration names the address and the
    /// state directory that holds the owner's token).
    #[command(subcommand, after_help = EXIT_HELP)]
    Inventory(InventoryCmd),
    /// Known vulnerabilities: import an OSV database for the gateway, or
    /// match an SBOM against one offline.
    #[command(subcommand, after_help = EXIT_HELP)]
    Vuln(VulnCmd),
    /// Writes warden's manual pages or shell completions, generated from
    /// this command line (the packages ship them).
    #[command(subcommand)]
    Generate(GenerateCmd),
}

#[derive(Clone, Copy, ValueEnum)]
pub(crate) enum LogFormatArg {
    Text,
    Json,
}

#[derive(Subcommand)]
pub(crate) enum GenerateCmd {
    /// Manual pages: warden.1 and one page per subcommand (warden-analyze.1, ...).
    Man {
        /// The directory to write them into (made if missing).
        #[arg(long)]
        dir: PathBuf,
    },
    /// The completion script for a shell, on standard output.
    Completions {
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// The gateway's TOML configuration that an OpenWrt UCI file
    /// (/etc/config/warden) maps to, checked, on standard output.
    GatewayToml {
        /// The UCI file.
        #[arg(long)]
        uci: PathBuf,
    },
}

#[derive(Subcommand)]
pub(crate) enum VulnCmd {
    /// Imports an OSV archive (an ecosystem's all.zip) into the gateway's
    /// store, replacing the records it held, and tells a running gateway.
    Import {
        #[arg(long)]
        config: PathBuf,
        archive: PathBuf,
    },
    /// Matches an SBOM (CycloneDX or SPDX) against an OSV archive, offline;
    /// CSAF advisories (--advisory) decide for the product given by
    /// --maker, --model and --version. Exit 1 when a known-affected
    /// vulnerability is found.
    Check {
        /// The OSV archive (zip).
        #[arg(long)]
        db: PathBuf,
        sbom: PathBuf,
        #[arg(long)]
        advisory: Vec<PathBuf>,
        #[arg(long, default_value = "")]
        maker: String,
        #[arg(long, default_value = "")]
        model: String,
        #[arg(long, default_value = "")]
        version: String,
        #[arg(long)]
        json: bool,
    },
}

#[derive(Subcommand)]
pub(crate) enum InventoryCmd {
    /// Every device: MAC, life-cycle state, enforcement state, name.
    List {
        #[arg(long)]
        config: PathBuf,
    },
    /// Enters the end of a device's support period (the last day of
    /// security updates, YYYY-MM-DD); it outranks every other source.
    Support {
        #[arg(long)]
        config: PathBuf,
        mac: String,
        end: String,
        /// Why (kept in the event).
        #[arg(long)]
        reason: String,
    },
    /// Moves a device along its life: discovered, identified, in-use,
    /// end-of-support, transferred, disposed (which erases its records).
    Set {
        #[arg(long)]
        config: PathBuf,
        mac: String,
        state: String,
        /// Why (kept in the event).
        #[arg(long, default_value = "")]
        reason: String,
    },
}

#[derive(Subcommand)]
pub(crate) enum PolicyCmd {
    /// Does an assessment (`warden assess --json`) meet a policy? Exit 1 when not.
    Check {
        /// The policy (TOML; examples in samples/policies/).
        #[arg(long)]
        policy: PathBuf,
        /// The assessment, as `warden assess --json` wrote it.
        assessment: PathBuf,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
}

#[derive(Subcommand)]
pub(crate) enum StdCmd {
    /// The ETSI EN 303 645 provisions: id, status, conditions, our short title.
    Catalog {
        /// v2.1.1 (what UK PSTI pins) or v3.1.3 (changes not all verified).
        #[arg(long, default_value = "v2.1.1")]
        version: String,
        /// Print the catalog as an OSCAL 1.0.6 catalog (JSON).
        #[arg(long)]
        oscal: bool,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// How another regime's requirements map to EN 303 645 provisions.
    Crosswalk {
        /// uk-cop, uk-psti, eu-cra, us-nist-ir-8425, sg-cls, fi-label, nl-roadmap; all when left out.
        regime: Option<String>,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
}

#[derive(Subcommand)]
pub(crate) enum MudCmd {
    /// Fetch a MUD file as the gateway does (HTTPS only, size, time and
    /// redirect limits, no private addresses), validate it and verify its
    /// signature. Exit 1 when it is refused or would not be applied.
    #[command(after_help = EXIT_HELP)]
    Fetch {
        /// The MUD URL (https).
        url: String,
        /// Extra roots for HTTPS (PEM), beside the system's.
        #[arg(long)]
        https_root: Vec<PathBuf>,
        /// Roots for MUD signatures (PEM).
        #[arg(long)]
        trust: Vec<PathBuf>,
        /// Allow private and special-purpose addresses.
        #[arg(long)]
        allow_private: bool,
        /// Allow this prefix although it is private or special-purpose
        /// (an internal MUD server); repeatable.
        #[arg(long = "allow-prefix")]
        allow_prefix: Vec<String>,
        /// require | warn | off
        #[arg(long, default_value = "require")]
        signature: String,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Validate MUD files; every problem is reported with its JSON pointer.
    #[command(after_help = EXIT_HELP)]
    Validate {
        /// MUD files (JSON).
        #[arg(required = true)]
        files: Vec<PathBuf>,
        #[command(flatten)]
        common: Common,
        /// The URL the file was fetched from; mud-url must equal it.
        #[arg(long)]
        source_url: Option<String>,
    },
    /// Say in plain words what a device with this MUD file may do.
    #[command(after_help = EXIT_HELP)]
    Show {
        file: PathBuf,
        #[command(flatten)]
        common: Common,
    },
    /// Compile a MUD file for one device into an nftables ruleset.
    #[command(after_help = EXIT_HELP)]
    Compile {
        file: PathBuf,
        /// The device: MAC[,IP...], e.g. 02:00:00:00:00:01,192.168.1.20
        #[arg(long)]
        device: String,
        /// Deployment context (TOML): local networks, controllers, other devices.
        #[arg(long)]
        context: Option<PathBuf>,
        /// Output form: nft text (for `nft -f`) or JSON (for `nft -j -f`).
        /// With --json, a report holding the notes, the DNS-name sets and the ruleset.
        #[arg(long, value_enum, default_value_t = Format::Nft)]
        format: Format,
        #[command(flatten)]
        common: Common,
    },
    /// Make a strict MUD file from a traffic profile (`warden profile`) and
    /// the maker's details, ready to sign (`mud sign`) and publish.
    New {
        /// The profile: the JSON `warden profile` wrote.
        profile: PathBuf,
        /// Where the file will be published (https://...).
        #[arg(long)]
        mud_url: String,
        /// The maker (mfg-name).
        #[arg(long)]
        mfg_name: String,
        /// The model (model-name).
        #[arg(long)]
        model_name: String,
        /// One line a person reads (systeminfo; default "MAKER MODEL").
        #[arg(long)]
        systeminfo: Option<String>,
        /// Where the device's documentation is (a URL).
        #[arg(long)]
        documentation: Option<String>,
        #[arg(long)]
        firmware_rev: Option<String>,
        #[arg(long)]
        software_rev: Option<String>,
        /// The maker no longer supports the device (is-supported: false).
        #[arg(long)]
        unsupported: bool,
        /// Where the signature will be published (default: the file's URL
        /// with .p7s).
        #[arg(long)]
        signature_url: Option<String>,
        /// Hours a gateway may keep the file before fetching it again.
        #[arg(long, value_parser = clap::value_parser!(u8).range(1..=168))]
        cache_validity: Option<u8>,
        /// RFC 9472: where the device's SBOM is.
        #[arg(long)]
        sbom_url: Option<String>,
        /// RFC 9472: where its vulnerability reports are. Repeatable.
        #[arg(long)]
        vuln_url: Vec<String>,
        /// last-update (RFC 3339); default: now.
        #[arg(long)]
        last_update: Option<String>,
        /// Write the file here instead of standard output.
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// Sign a MUD file as its maker: writes the detached DER CMS signature
    /// of RFC 8520 §13 (SHA-256, signed attributes) that `mud verify` and
    /// the gateway check. The file is validated first; an invalid one is not
    /// signed.
    Sign {
        file: PathBuf,
        /// The signer's private key (PEM).
        #[arg(long)]
        key: PathBuf,
        /// The signer's certificate (PEM).
        #[arg(long)]
        cert: PathBuf,
        /// Intermediate certificates to carry in the signature (PEM).
        #[arg(long)]
        chain: Option<PathBuf>,
        /// Where to write the signature (default: FILE with .p7s for its
        /// extension, the name the file's mud-signature should give).
        #[arg(long)]
        out: Option<PathBuf>,
        /// Accept a legacy (pre-RFC) file.
        #[arg(long)]
        legacy: bool,
    },
    /// Verify a detached CMS signature (RFC 8520 §13) over a MUD file.
    #[command(after_help = EXIT_HELP)]
    Verify {
        file: PathBuf,
        /// The DER signature file (.p7s).
        #[arg(long)]
        signature: PathBuf,
        /// PEM file with the trusted root certificate(s).
        #[arg(long)]
        trust: PathBuf,
        /// Check validity at this time (RFC 3339) instead of now.
        #[arg(long)]
        at: Option<String>,
        /// Print a JSON report.
        #[arg(long)]
        json: bool,
    },
}

#[derive(Args)]
pub(crate) struct Common {
    /// Accept pre-RFC constructs of published files, each as a warning.
    #[arg(long)]
    pub(crate) legacy: bool,
    /// Print a JSON report instead of text.
    #[arg(long)]
    pub(crate) json: bool,
}

impl Common {
    pub(crate) fn options(&self) -> ValidateOptions {
        validate_options(self.legacy)
    }
}

/// The strict dialect, or the legacy one with `--legacy`.
pub(crate) fn validate_options(legacy: bool) -> ValidateOptions {
    ValidateOptions {
        dialect: if legacy {
            Dialect::Legacy
        } else {
            Dialect::Strict
        },
        ..Default::default()
    }
}

#[derive(Clone, Copy, ValueEnum)]
pub(crate) enum Format {
    Nft,
    Json,
}

#[derive(Args)]
pub(crate) struct AssessArgs {
    /// The manufacturer's declaration (TOML; schemas/declaration.schema.json).
    #[arg(long)]
    pub(crate) declaration: PathBuf,
    /// A `warden analyze --json` report with the device's traffic.
    #[arg(long, requires = "device")]
    pub(crate) report: Option<PathBuf>,
    /// The device in the report (MAC, or address on raw-IP captures).
    #[arg(long)]
    pub(crate) device: Option<String>,
    /// A `warden probe --json` report of the device.
    #[arg(long)]
    pub(crate) probe: Option<PathBuf>,
    /// The device's vulnerability report (the gateway's
    /// /api/v1/devices/{mac}/vulnerabilities, or `warden vuln check --json`).
    #[arg(long)]
    pub(crate) vulns: Option<PathBuf>,
    /// Print JSON (the input of `warden policy check`).
    #[arg(long)]
    pub(crate) json: bool,
    /// Also write the assessment as OSCAL 1.0.6 assessment results (JSON).
    #[arg(long)]
    pub(crate) oscal: Option<PathBuf>,
    /// Also write the HTML report (plain language first).
    #[arg(long)]
    pub(crate) html: Option<PathBuf>,
    /// Also write the consumer label (SVG).
    #[arg(long)]
    pub(crate) label: Option<PathBuf>,
    /// Where the label's QR code leads (default: the --html file).
    #[arg(long)]
    pub(crate) report_url: Option<String>,
    /// The time of the assessment (RFC 3339; default: now).
    #[arg(long)]
    pub(crate) at: Option<String>,
}
