//! The gateway's figures for operators, in the Prometheus text format, at
//! `GET /metrics` on the API listener (behind the API's token, as any read).
//!
//! Two kinds of figure:
//! - counted as things happen: packets and bytes the watchers read, flows
//!   that ended, alerts by kind and severity, MUD fetches by outcome, the
//!   time from a DHCP request to its device's rules being live, and how long
//!   each ruleset apply took;
//! - read at each scrape: devices by state, each device's drop counters
//!   (the kernel's, read with `nft`), the store's size on disk.
//!
//! Every label comes from warden's own vocabulary (a state, an alert kind,
//! an outcome, an interface in the configuration) or names a device that
//! has its own chains in the kernel's ruleset (its drop counters): frames
//! from made-up MACs add no series.

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::{Registry, Unit};
use std::collections::BTreeMap;
use std::sync::Mutex;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct InterfaceLabels {
    pub interface: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct AlertLabels {
    pub kind: String,
    pub severity: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct OutcomeLabels {
    pub outcome: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct StateLabels {
    pub state: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct DropLabels {
    pub mac: String,
    /// "from_device" or "to_device".
    pub direction: String,
}

/// Seconds: from 1 ms to 10 s.
const LATENCY_BUCKETS: [f64; 12] = [
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 10.0,
];

/// What a scrape reads from the core, the kernel and the disk.
#[derive(Debug, Default)]
pub struct Snapshot {
    /// State name -> devices in it.
    pub devices: BTreeMap<&'static str, i64>,
    /// (MAC, direction) -> (packets, bytes) dropped.
    pub drops: BTreeMap<(String, &'static str), (u64, u64)>,
    /// The SQLite database with its write-ahead log, in bytes.
    pub store_bytes: i64,
}

#[derive(Debug)]
pub struct Metrics {
    registry: Registry,
    packets: Family<InterfaceLabels, Counter>,
    bytes: Family<InterfaceLabels, Counter>,
    flows: Family<InterfaceLabels, Counter>,
    alerts: Family<AlertLabels, Counter>,
    fetches: Family<OutcomeLabels, Counter>,
    apply_latency: Histogram,
    apply_duration: Histogram,
    applies: Family<OutcomeLabels, Counter>,
    devices: Family<StateLabels, Gauge>,
    dropped_packets: Family<DropLabels, Counter>,
    dropped_bytes: Family<DropLabels, Counter>,
    store_bytes: Gauge,
    /// One scrape at a time: the values read at a scrape replace the last
    /// scrape's before the text is written.
    scrape: Mutex<()>,
}

impl Default for Metrics {
    fn default() -> Self {
        Metrics::new()
    }
}

/// What a watcher thread adds to, for one interface (handles to the
/// shared counters: no lock per packet).
#[derive(Clone, Debug)]
pub struct Traffic {
    pub packets: Counter,
    pub bytes: Counter,
    pub flows: Counter,
}

impl Metrics {
    pub fn new() -> Metrics {
        let mut registry = Registry::with_prefix("warden");
        let packets = Family::<InterfaceLabels, Counter>::default();
        let bytes = Family::<InterfaceLabels, Counter>::default();
        let flows = Family::<InterfaceLabels, Counter>::default();
        let alerts = Family::<AlertLabels, Counter>::default();
        let fetches = Family::<OutcomeLabels, Counter>::default();
        let apply_latency = Histogram::new(LATENCY_BUCKETS);
        let apply_duration = Histogram::new(LATENCY_BUCKETS);
        let applies = Family::<OutcomeLabels, Counter>::default();
        let devices = Family::<StateLabels, Gauge>::default();
        let dropped_packets = Family::<DropLabels, Counter>::default();
        let dropped_bytes = Family::<DropLabels, Counter>::default();
        let store_bytes = Gauge::default();
        registry.register(
            "packets",
            "Packets the gateway's watchers read on a LAN interface",
            packets.clone(),
        );
        registry.register_with_unit(
            "traffic",
            "Bytes of the packets the gateway's watchers read on a LAN interface",
            Unit::Bytes,
            bytes.clone(),
        );
        registry.register(
            "flows_ended",
            "Flows of a local device that ended (idle, closed or evicted)",
            flows.clone(),
        );
        registry.register(
            "alerts",
            "Alerts raised, by kind and severity",
            alerts.clone(),
        );
        registry.register(
            "mud_fetches",
            "MUD file fetches, by outcome (ok, invalid, refused, failed, signature-failed)",
            fetches.clone(),
        );
        registry.register_with_unit(
            "apply_latency",
            "From a device's DHCP request to its rules being live in the kernel",
            Unit::Seconds,
            apply_latency.clone(),
        );
        registry.register_with_unit(
            "ruleset_apply_duration",
            "How long one ruleset apply took (compile, nft, check)",
            Unit::Seconds,
            apply_duration.clone(),
        );
        registry.register(
            "ruleset_applies",
            "Ruleset applies, by outcome (ok, failed)",
            applies.clone(),
        );
        registry.register(
            "devices",
            "Devices the gateway keeps, by state",
            devices.clone(),
        );
        registry.register(
            "device_dropped_packets",
            "Packets the kernel dropped from or to a device (its chain's counter; an apply that rebuilds the chain starts it again)",
            dropped_packets.clone(),
        );
        registry.register_with_unit(
            "device_dropped",
            "Bytes the kernel dropped from or to a device",
            Unit::Bytes,
            dropped_bytes.clone(),
        );
        registry.register_with_unit(
            "store_size",
            "The store (SQLite database and its write-ahead log) on disk",
            Unit::Bytes,
            store_bytes.clone(),
        );
        Metrics {
            registry,
            packets,
            bytes,
            flows,
            alerts,
            fetches,
            apply_latency,
            apply_duration,
            applies,
            devices,
            dropped_packets,
            dropped_bytes,
            store_bytes,
            scrape: Mutex::new(()),
        }
    }

    /// The counters a watcher of `interface` adds to.
    pub fn traffic(&self, interface: &str) -> Traffic {
        let l = InterfaceLabels {
            interface: interface.to_string(),
        };
        Traffic {
            packets: self.packets.get_or_create_owned(&l),
            bytes: self.bytes.get_or_create_owned(&l),
            flows: self.flows.get_or_create_owned(&l),
        }
    }

    pub fn alert(&self, kind: &str, severity: &str) {
        self.alerts
            .get_or_create(&AlertLabels {
                kind: kind.to_string(),
                severity: severity.to_string(),
            })
            .inc();
    }

    pub fn fetch(&self, outcome: &str) {
        self.fetches
            .get_or_create(&OutcomeLabels {
                outcome: outcome.to_string(),
            })
            .inc();
    }

    pub fn apply(&self, ok: bool, seconds: f64) {
        self.applies
            .get_or_create(&OutcomeLabels {
                outcome: if ok { "ok" } else { "failed" }.to_string(),
            })
            .inc();
        self.apply_duration.observe(seconds);
    }

    pub fn apply_latency(&self, seconds: f64) {
        self.apply_latency.observe(seconds);
    }

    /// The text a scrape gets, with its content type: `snapshot`'s values
    /// in place of the last scrape's, then every figure, in OpenMetrics
    /// when the scraper asks for it (`accept`), else in the Prometheus text
    /// format 0.0.4 (what `promtool check metrics` and older scrapers read).
    pub fn render(&self, snapshot: &Snapshot, accept: &str) -> (&'static str, String) {
        let _one = self.scrape.lock().unwrap_or_else(|e| e.into_inner());
        // Every state is shown, 0 when no device is in it.
        for state in crate::core::State::NAMES {
            let n = snapshot.devices.get(state).copied().unwrap_or(0);
            self.devices
                .get_or_create(&StateLabels {
                    state: state.to_string(),
                })
                .set(n);
        }
        self.dropped_packets.clear();
        self.dropped_bytes.clear();
        for ((mac, direction), (packets, bytes)) in &snapshot.drops {
            let l = DropLabels {
                mac: mac.clone(),
                direction: direction.to_string(),
            };
            self.dropped_packets.get_or_create(&l).inc_by(*packets);
            self.dropped_bytes.get_or_create(&l).inc_by(*bytes);
        }
        self.store_bytes.set(snapshot.store_bytes);
        let mut out = String::new();
        // Writing to a String cannot fail.
        if accept.contains("application/openmetrics-text") {
            let _ = prometheus_client::encoding::text::encode(&mut out, &self.registry);
            (OPENMETRICS, out)
        } else {
            let _ = prometheus_client::encoding::prometheus_text::encode(&mut out, &self.registry);
            (
                prometheus_client::encoding::prometheus_text::CONTENT_TYPE,
                out,
            )
        }
    }
}

/// The content type of OpenMetrics text, which Prometheus asks for first.
pub const OPENMETRICS: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_and_snapshot_reach_the_text() {
        let m = Metrics::new();
        let t = m.traffic("br-lan");
        t.packets.inc_by(3);
        t.bytes.inc_by(180);
        m.alert("scan.port", "high");
        m.alert("scan.port", "high");
        m.fetch("ok");
        m.apply(true, 0.02);
        m.apply_latency(0.2);
        let mut s = Snapshot {
            store_bytes: 4096,
            ..Default::default()
        };
        s.devices.insert("enforced", 2);
        s.drops
            .insert(("02:00:00:00:00:01".into(), "from_device"), (5, 300));
        let (kind, open) = m.render(&s, "application/openmetrics-text;version=1.0.0");
        assert_eq!(kind, OPENMETRICS);
        assert!(open.ends_with("# EOF\n"), "{open}");
        let (kind, text) = m.render(&s, "*/*");
        assert!(kind.starts_with("text/plain; version=0.0.4"), "{kind}");
        assert!(text.contains("# HELP warden_packets_total "), "{text}");
        for want in [
            "warden_packets_total{interface=\"br-lan\"} 3",
            "warden_traffic_bytes_total{interface=\"br-lan\"} 180",
            "warden_alerts_total{kind=\"scan.port\",severity=\"high\"} 2",
            "warden_mud_fetches_total{outcome=\"ok\"} 1",
            "warden_ruleset_applies_total{outcome=\"ok\"} 1",
            "warden_apply_latency_seconds_bucket{le=\"0.25\"} 1",
            "warden_apply_latency_seconds_bucket{le=\"0.1\"} 0",
            "warden_devices{state=\"enforced\"} 2",
            "warden_devices{state=\"blocked\"} 0",
            "warden_device_dropped_packets_total{mac=\"02:00:00:00:00:01\",direction=\"from_device\"} 5",
            "warden_store_size_bytes 4096",
        ] {
            assert!(text.contains(want), "{want} not in\n{text}");
        }
        // A device gone from the kernel is gone from the next scrape.
        let (_, text) = m.render(&Snapshot::default(), "");
        assert!(!text.contains("02:00:00:00:00:01"), "{text}");
        assert!(
            text.contains("warden_devices{state=\"enforced\"} 0"),
            "{text}"
        );
    }
}
