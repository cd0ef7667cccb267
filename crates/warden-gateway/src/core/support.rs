//! Support periods in the gateway: what each source says about a device,
//! the alerts 90, 30 and 0 days before the end, and what the deployment
//! does once the security updates have stopped (`[support] at-end`).
//!
//! Sources here: a person's entry (API, `warden inventory support`, the
//! device page), the device's verified MUD file (`is-supported`,
//! `last-update`) and the catalogue, matched by the MUD file's maker and
//! model (`mfg-name`, `model-name`). The maker's declaration is read by
//! `warden assess`, not by the gateway. The clock is the `now` every call
//! gets, so tests move it.

use super::*;
use crate::config::AtSupportEnd;
use warden_lifecycle::support::{parse_date, Milestone, Source, Statement, Support};

/// The calendar day of a Unix time (UTC).
pub fn day_of(now: i64) -> time::Date {
    time::OffsetDateTime::from_unix_timestamp(now)
        .unwrap_or(time::OffsetDateTime::UNIX_EPOCH)
        .date()
}

fn milestone_named(s: &str) -> Option<Milestone> {
    [Milestone::Days90, Milestone::Days30, Milestone::Ended]
        .into_iter()
        .find(|m| m.name() == s)
}

/// A device's support as the API and the pages show it.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct SupportView {
    /// The last day of security updates (YYYY-MM-DD), when known.
    pub end: Option<String>,
    /// The sentence for the household ("This camera gets no more ...").
    pub words: String,
    /// Where it comes from, in plain words, and the kind of source
    /// (person, mud, maker, catalogue).
    pub source: String,
    pub source_kind: &'static str,
    /// 90-days, 30-days, ended; None: further off or no end known.
    pub milestone: Option<&'static str>,
    /// What the deployment does at the end (tell, internet-only, updates-only).
    pub at_end: &'static str,
    /// Whether that restriction holds now.
    pub restricted: bool,
}

impl Core {
    /// The day the gateway last checked support periods on (today, at
    /// start): what the pages measure "days from now" from.
    pub fn support_day(&self) -> time::Date {
        self.support_day
    }

    /// What the sentences call the device: its kind, or "device".
    fn support_noun(&self, d: &Dev) -> String {
        match self.category(d).name() {
            "unknown" | "other-iot" => "device".to_string(),
            w => w.replace('-', " "),
        }
    }

    pub fn support_view(&self, d: &Dev) -> Option<SupportView> {
        let s = self.support_of(d)?;
        let what = self.support_noun(d);
        Some(SupportView {
            end: s.end().map(|d| d.to_string()),
            words: s.words(&what, self.support_day),
            source: s.source.words(),
            source_kind: s.source.kind(),
            milestone: s.milestone(self.support_day).map(Milestone::name),
            at_end: self.cfg.support.at_end.name(),
            restricted: self.support_restricted(&d.mac),
        })
    }

    /// What every source says about the device's support, in the order
    /// [`Support::decide`] weighs them.
    pub fn support_statements(&self, d: &Dev) -> Vec<(Statement, Source)> {
        let mut out = Vec::new();
        if let Ok(Some(e)) = self.store.support_entry(&mac_s(&d.mac)) {
            if let Some(day) = parse_date(&e.end_date) {
                out.push((Statement::EndsOn(day), Source::Person { who: e.by }));
            }
        }
        if let Some(m) = &d.mud {
            let url = d
                .mud_url
                .clone()
                .unwrap_or_else(|| m.meta().mud_url.clone());
            out.push((
                if m.meta().is_supported {
                    Statement::SupportedNoEnd
                } else {
                    Statement::Ended {
                        last_update: parse_date(&m.meta().last_update),
                    }
                },
                Source::Mud { url },
            ));
            if let (Some(maker), Some(model)) = (&m.meta().mfg_name, &m.meta().model_name) {
                out.extend(self.cfg.support.catalogue.statement(maker, model));
            }
        }
        out
    }

    /// What warden believes about the device's support.
    pub fn support_of(&self, d: &Dev) -> Option<Support> {
        Support::decide(&self.support_statements(d))
    }

    /// Whether the device's security updates have ended and the deployment
    /// restricts it for that.
    pub fn support_restricted(&self, mac: &MacAddr) -> bool {
        self.support_ended.contains(mac) && self.cfg.support.at_end != AtSupportEnd::Tell
    }

    /// A person enters the end of a device's support period (YYYY-MM-DD).
    /// The milestones are checked at once.
    pub fn set_support_end(
        &mut self,
        mac: &MacAddr,
        end: &str,
        reason: &str,
        by: &str,
        now: i64,
    ) -> Result<(), CoreError> {
        if !self.devices.contains_key(mac) {
            return Err(CoreError::NoSuchDevice);
        }
        if end.len() != 10 || parse_date(end).is_none() {
            return Err(CoreError::Invalid(format!(
                "end: {end:?} is not a date (YYYY-MM-DD)"
            )));
        }
        let reason = checked_reason(reason, true)?;
        let e = warden_store::lifecycle::SupportEntry {
            end_date: end.into(),
            reason: reason.into(),
            by: by.into(),
            at: now,
        };
        self.store.set_support_entry(&mac_s(mac), &e)?;
        self.event(
            now,
            Some(mac),
            "support-period",
            json!({"end": end, "reason": reason, "by": by}),
        );
        self.check_support(now);
        Ok(())
    }

    /// Checks every device's support against the day of `now`: alerts a
    /// milestone the first time it is reached, moves a device whose updates
    /// ended to "end of support", and applies the deployment's consequence
    /// (or lifts it, when a person extends the period).
    pub fn check_support(&mut self, now: i64) {
        let today = day_of(now);
        self.support_day = today;
        let macs: Vec<MacAddr> = self.devices.keys().copied().collect();
        let mut changed = false;
        for mac in macs {
            if self.cfg.infrastructure.contains(&mac) {
                continue;
            }
            let Some(d) = self.devices.get(&mac) else {
                continue;
            };
            let support = self.support_of(d);
            let what = self.support_noun(d);
            let reached = support.as_ref().and_then(|s| s.milestone(today));
            let ended = reached == Some(Milestone::Ended);
            let was_ended = self.support_ended.contains(&mac);
            if ended != was_ended {
                if ended {
                    self.support_ended.insert(mac);
                } else {
                    self.support_ended.remove(&mac);
                    self.event(now, Some(&mac), "support-extended", json!({}));
                }
                changed |= self.cfg.support.at_end != AtSupportEnd::Tell;
            }
            let last = self
                .support_alerted
                .get(&mac)
                .and_then(|s| milestone_named(s));
            if reached != last {
                if let (Some(m), Some(s)) = (reached, &support) {
                    if last.is_none_or(|l| m > l) {
                        self.support_alert(&mac, m, s, &what, today, now);
                    }
                }
                match reached {
                    Some(m) => self.support_alerted.insert(mac, m.name().to_string()),
                    None => self.support_alerted.remove(&mac),
                };
                if let Err(e) = self
                    .store
                    .set_support_milestone(&mac_s(&mac), reached.map(|m| m.name()))
                {
                    log!("store: {e}");
                }
            }
            let life = self.devices.get(&mac).map(|d| d.lifecycle);
            if ended
                && matches!(
                    life,
                    Some(Lifecycle::Discovered | Lifecycle::Identified | Lifecycle::InUse)
                )
            {
                let _ = self.set_lifecycle(
                    &mac,
                    Lifecycle::EndOfSupport,
                    "its support period ended",
                    "warden",
                    now,
                );
            }
        }
        if changed {
            let _ = self.reapply(now, "support period");
        }
    }

    fn support_alert(
        &mut self,
        mac: &MacAddr,
        m: Milestone,
        s: &Support,
        what: &str,
        today: time::Date,
        now: i64,
    ) {
        let words = s.words(what, today);
        let (kind, severity, then) = match m {
            Milestone::Days90 => (
                "support.ending",
                "low",
                "Plan its replacement, or ask the maker whether support can be extended.".to_string(),
            ),
            Milestone::Days30 => (
                "support.ending",
                "medium",
                "Replace it soon: once the updates stop, every new weakness stays open.".to_string(),
            ),
            Milestone::Ended => (
                "support.ended",
                "medium",
                match self.cfg.support.at_end {
                    AtSupportEnd::Tell => "warden leaves its access as it is (home deployment); replace it, or keep it away from what matters.".to_string(),
                    AtSupportEnd::InternetOnly => "warden takes the local network away from it (office deployment): it may still reach the internet as before.".to_string(),
                    AtSupportEnd::UpdatesOnly => format!(
                        "warden leaves it only DNS, time and its update servers ({} deployment).",
                        format!("{:?}", self.cfg.deployment).to_lowercase()
                    ),
                },
            ),
        };
        let end = s.end().map(|d| d.to_string());
        self.alert(
            now,
            Some(mac),
            kind,
            severity,
            &format!("{words} {then}"),
            json!({"milestone": m.name(), "end": end, "source": s.source.words(), "source_kind": s.source.kind(), "at_end": self.cfg.support.at_end.name()}),
        );
    }

    /// The policy a device past its support period gets instead of `base`
    /// (its own MUD policy or the default), or None to keep `base`.
    pub(super) fn support_policy(&self, mac: &MacAddr, base: Option<&Policy>) -> Option<Policy> {
        if !self.support_restricted(mac) {
            return None;
        }
        match self.cfg.support.at_end {
            AtSupportEnd::Tell => None,
            AtSupportEnd::UpdatesOnly => Some(self.own.updates_only.clone()),
            AtSupportEnd::InternetOnly => Some(match base {
                // Its own rules, after the internet-only policy's local
                // drops (both ways): DNS and time from the gateway stay, no
                // other local host in either direction, and beyond that
                // only what its own rules allowed.
                Some(p) => {
                    let guard: Vec<Rule> = self
                        .own
                        .internet_only
                        .rules()
                        .iter()
                        .filter(|r| !r.origin.ace.starts_with("internet-"))
                        .cloned()
                        .collect();
                    let mut rules = guard.clone();
                    rules.extend(
                        guard
                            .into_iter()
                            .filter(|r| r.action != warden_mud::Forwarding::Accept)
                            .map(|mut r| {
                                r.direction = warden_mud::Direction::ToDevice;
                                r
                            }),
                    );
                    p.with_rules_first(rules)
                }
                None => self.own.internet_only.clone(),
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    fn core(extra: &str) -> Core {
        test_core(&format!("local-networks = [\"10.0.0.0/24\"]\n{extra}"))
    }

    /// A camera whose MUD file lets it reach one cloud name and one LAN peer.
    fn camera(c: &mut Core, is_supported: bool) -> MacAddr {
        let mac = MacAddr([2, 0, 0, 0, 0, 9]);
        c.on_event(
            Event::Dhcp {
                mac,
                mud_url: None,
                hostname: Some("cam".into()),
                vendor_class: None,
                at: std::time::Instant::now(),
                via: "dhcp",
            },
            100,
        );
        let doc = serde_json::json!({
          "ietf-mud:mud": {"mud-version": 1, "mud-url": "https://maker.example/cam.json",
            "last-update": "2026-01-10T00:00:00Z", "is-supported": is_supported,
            "systeminfo": "camera", "mfg-name": "Google", "model-name": "Dropcam Pro",
            "from-device-policy": {"access-lists": {"access-list": [{"name": "f"}]}}},
          "ietf-access-control-list:acls": {"acl": [{"name": "f", "type": "ipv4-acl-type", "aces": {"ace": [
            {"name": "cloud", "matches": {"ipv4": {"ietf-acldns:dst-dnsname": "cloud.maker.example", "protocol": 6},
              "tcp": {"destination-port": {"operator": "eq", "port": 443}}}, "actions": {"forwarding": "accept"}},
            {"name": "nas", "matches": {"ipv4": {"destination-ipv4-network": "10.0.0.20/32", "protocol": 6}},
              "actions": {"forwarding": "accept"}}]}}]}
        });
        let v = load(
            &serde_json::to_vec(&doc).unwrap(),
            &ValidateOptions::default(),
        )
        .unwrap();
        let d = c.devices.get_mut(&mac).unwrap();
        d.mud = Some(v.mud);
        d.mud_url = Some("https://maker.example/cam.json".into());
        d.state = State::Enforced;
        mac
    }

    fn at(d: time::Date) -> i64 {
        d.midnight().assume_utc().unix_timestamp() + 12 * 3600
    }

    fn support_alerts(c: &Core) -> Vec<(String, String, String)> {
        let mut v: Vec<_> = c
            .store
            .alerts(None, 100)
            .unwrap()
            .into_iter()
            .filter(|a| a.kind.starts_with("support."))
            .map(|a| {
                (
                    a.kind,
                    a.severity,
                    a.evidence["milestone"].as_str().unwrap_or("").to_string(),
                )
            })
            .collect();
        v.reverse();
        v
    }

    #[test]
    fn alerts_at_90_30_and_0_days_once_each_and_the_office_takes_the_lan_away() {
        let mut c = core("deployment = \"office\"\n");
        let cam = camera(&mut c, true);
        c.set_support_end(
            &cam,
            "2027-03-31",
            "the maker's e-mail",
            "ann (owner)",
            at(date!(2026 - 12 - 01)),
        )
        .unwrap();
        assert!(support_alerts(&c).is_empty(), "120 days left");
        assert_eq!(c.entries()[0].1, "mud");
        for d in [
            date!(2027 - 01 - 01),
            date!(2027 - 01 - 02),
            date!(2027 - 03 - 01),
            date!(2027 - 03 - 15),
        ] {
            c.check_support(at(d));
        }
        assert_eq!(
            support_alerts(&c),
            vec![
                ("support.ending".into(), "low".into(), "90-days".into()),
                ("support.ending".into(), "medium".into(), "30-days".into())
            ]
        );
        assert_eq!(c.entries()[0].1, "mud", "still supported");
        c.check_support(at(date!(2027 - 03 - 31)));
        c.check_support(at(date!(2027 - 04 - 01)));
        let alerts = support_alerts(&c);
        assert_eq!(alerts.len(), 3);
        assert_eq!(alerts[2].0, "support.ended");
        let text = &c.store.alerts(None, 1).unwrap()[0].explanation;
        assert!(
            text.contains("no more security updates since 31 March 2027"),
            "{text}"
        );
        assert!(text.contains("takes the local network away"), "{text}");
        assert_eq!(c.devices[&cam].lifecycle, Lifecycle::EndOfSupport);
        // The office's consequence: its own rules behind the LAN drops.
        let e = c.entries();
        assert_eq!(e[0].1, "support-end");
        let p = &e[0].0.policy;
        let judge = |remote: &str, port: u16| {
            let a = warden_detect::compliance::Attempt {
                protocol: 6,
                device_ip: "10.0.0.9".parse().unwrap(),
                device_port: 40000,
                remote_ip: remote.parse().unwrap(),
                remote_port: port,
                remote_mac: None,
                names: &[],
                opened_by_device: true,
                midstream: false,
                first_ns: 0,
                packets: 1,
                bytes: 60,
            };
            matches!(warden_detect::judge(p, &a), Verdict::Violation(_))
        };
        assert!(
            judge("10.0.0.20", 445),
            "the NAS its MUD file allowed is local: cut"
        );
        assert!(
            judge("198.51.100.7", 443),
            "not in its MUD file: still refused"
        );
        assert_eq!(c.intended_kind(&c.devices[&cam]), Some("support-end"));
        // A person extends the period: the restriction is lifted.
        c.set_support_end(
            &cam,
            "2028-12-31",
            "extended support bought",
            "ann (owner)",
            at(date!(2027 - 04 - 02)),
        )
        .unwrap();
        assert_eq!(c.entries()[0].1, "mud");
        assert!(
            c.store
                .events_of_kind("support-extended", 0, 10)
                .unwrap()
                .len()
                == 1
        );
    }

    #[test]
    fn home_only_tells_and_the_mud_file_and_catalogue_are_sources() {
        let mut c = core("");
        let cam = camera(&mut c, false);
        let s = c.support_of(&c.devices[&cam]).unwrap();
        assert_eq!(
            s.source.kind(),
            "mud",
            "is-supported: false beats the catalogue"
        );
        assert_eq!(s.end(), Some(date!(2026 - 01 - 10)));
        c.check_support(at(date!(2026 - 12 - 02)));
        assert_eq!(support_alerts(&c).len(), 1);
        assert_eq!(
            c.intended_kind(&c.devices[&cam]),
            Some("mud"),
            "home: tell only"
        );
        // The same camera announcing support: the catalogue's date for a
        // Dropcam Pro is used.
        let mut c = core("");
        let cam = camera(&mut c, true);
        let s = c.support_of(&c.devices[&cam]).unwrap();
        assert_eq!(s.source.kind(), "catalogue");
        assert_eq!(s.end(), Some(date!(2024 - 04 - 08)));
        assert!(c
            .set_support_end(&cam, "2027-02-30", "x", "ann (owner)", 1)
            .is_err());
        assert!(c
            .set_support_end(&cam, "2027-02-20", " ", "ann (owner)", 1)
            .is_err());
    }

    #[test]
    fn updates_only_leaves_dns_time_and_the_update_hosts() {
        let mut c = core(
            "deployment = \"healthcare\"\n[support]\nupdate-hosts = [\"updates.maker.example\"]\n",
        );
        let cam = camera(&mut c, false);
        c.check_support(at(date!(2026 - 12 - 02)));
        let e = c.entries();
        assert_eq!(e[0].1, "support-end");
        assert!(e[0].0.policy.dns_names().contains("updates.maker.example"));
        assert!(!e[0].0.policy.dns_names().contains("cloud.maker.example"));
        let _ = cam;
    }
}
