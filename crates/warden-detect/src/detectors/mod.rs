//! The detectors. Each is a small unit that sees packets and/or ended flows
//! and emits [`Detection`]s; the [`crate::Engine`] deduplicates them into
//! alerts. Thresholds live in [`crate::Thresholds`].

pub mod beacon;
pub mod blocklist;
pub mod brute;
pub mod creds;
pub mod dnsabuse;
pub mod flood;
pub mod scan;
pub mod spoof;

use crate::alert::{Detection, EvidenceFlow, Kind, Role};
use crate::common::{proto_name, DevKey};
use std::collections::BTreeMap;
use std::net::IpAddr;
use warden_analyze::PacketEvent;

/// A packet event with its IP layer pulled out.
pub struct Pkt<'a> {
    pub ev: &'a PacketEvent<'a>,
    pub ts: i64,
}

/// A sample packet exchange for an alert's evidence.
pub fn sample(proto: u8, src: IpAddr, sp: u16, dst: IpAddr, dp: u16, ts: i64) -> EvidenceFlow {
    let ep = |ip: IpAddr, p: u16| {
        if matches!(proto, 6 | 17) {
            match ip {
                IpAddr::V6(_) => format!("[{ip}]:{p}"),
                IpAddr::V4(_) => format!("{ip}:{p}"),
            }
        } else {
            ip.to_string()
        }
    };
    EvidenceFlow {
        protocol: proto_name(proto),
        src: ep(src, sp),
        dst: ep(dst, dp),
        first_ns: ts,
        packets: 1,
        bytes: 0,
    }
}

/// Builds a detection.
#[allow(clippy::too_many_arguments)]
pub fn detection(
    kind: Kind,
    device: DevKey,
    role: Role,
    first: i64,
    last: i64,
    explanation: String,
    counts: &[(&str, u64)],
    evidence: Vec<EvidenceFlow>,
) -> Detection {
    Detection {
        kind,
        device: device.to_string(),
        role,
        first_ns: first,
        last_ns: last,
        explanation,
        counts: counts
            .iter()
            .map(|(k, v)| (k.to_string(), *v))
            .collect::<BTreeMap<_, _>>(),
        evidence,
    }
}
