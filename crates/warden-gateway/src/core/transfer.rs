//! Handing a device on: sold, given away or rented out (EN 303 645 5.11).
//!
//! A person starts the transfer (API, device page). warden returns the
//! device's history (the export a new owner must not get, for the old one
//! to keep), moves it to "transferred" and gives the checklist: factory
//! reset, remove it from the maker's cloud account, new passwords. Then it
//! watches what it can see: after a factory reset the device enrols afresh,
//! a new DHCP exchange under a new identity (host name or vendor class
//! other than before). When warden sees that, the old household's history
//! of the device is erased (every record, out of the kernel with its
//! sessions cut) and the device starts again as a new, discovered device
//! for whoever uses it next. What warden cannot see (the maker's cloud
//! account, passwords inside the device) stays on the checklist as the
//! person's to confirm.

use super::*;

/// A transfer waiting for the device's reset.
#[derive(Debug, Clone)]
pub struct Pending {
    pub since: i64,
    pub how: String,
    pub by: String,
    /// The identity it had when the transfer began.
    pub hostname: Option<String>,
    pub vendor_class: Option<String>,
}

/// The checklist: (step, who checks it).
pub const CHECKLIST: [(&str, &str); 4] = [
    (
        "Export its history if you want to keep it (the answer to this request holds it).",
        "done by warden now",
    ),
    (
        "Factory-reset the device (its manual says how).",
        "warden sees it: the device enrols afresh under a new identity",
    ),
    (
        "Remove it from your account with the maker's app or cloud.",
        "yours to do: warden cannot see the maker's cloud",
    ),
    (
        "Change every password the device knew (Wi-Fi, its own account).",
        "yours to do",
    ),
];

impl Core {
    /// Starts handing a device on: returns its history (the export) and
    /// the checklist; the device moves to "transferred".
    pub fn start_transfer(
        &mut self,
        mac: &MacAddr,
        how: &str,
        by: &str,
        now: i64,
    ) -> Result<serde_json::Value, CoreError> {
        if !crate::lifecycle::TRANSFERS.contains(&how) {
            return Err(CoreError::Invalid(format!(
                "how: {} (one of {})",
                how.escape_debug(),
                crate::lifecycle::TRANSFERS.join(", ")
            )));
        }
        let d = self.devices.get(mac).ok_or(CoreError::NoSuchDevice)?;
        let pending = Pending {
            since: now,
            how: how.into(),
            by: by.into(),
            hostname: d.hostname.clone(),
            vendor_class: d.vendor_class.clone(),
        };
        if d.lifecycle != Lifecycle::Transferred {
            self.set_lifecycle(mac, Lifecycle::Transferred, how, by, now)?;
        }
        let history = self.store.export_device(&mac_s(mac))?;
        self.event(
            now,
            Some(mac),
            "transfer-started",
            json!({"how": how, "by": by}),
        );
        self.transfers.insert(*mac, pending);
        Ok(json!({
            "mac": mac.to_string(),
            "how": how,
            "checklist": CHECKLIST.iter().map(|(s, w)| json!({"step": s, "checked": w})).collect::<Vec<_>>(),
            "history": crate::export::document(&mac.to_string(), history, now),
        }))
    }

    /// The transfer under way for a device, if any: (since, how, by).
    pub fn transfer_of(&self, mac: &MacAddr) -> Option<&Pending> {
        self.transfers.get(mac)
    }

    /// Called with each DHCP announcement before it is applied: a device
    /// being handed on that enrols under a new identity has been reset.
    /// Its history is erased, and true returned (the announcement then
    /// makes it a new device).
    pub(super) fn transfer_reset(
        &mut self,
        mac: &MacAddr,
        hostname: Option<&str>,
        vendor_class: Option<&str>,
        now: i64,
    ) -> bool {
        let Some(p) = self.transfers.get(mac).cloned() else {
            return false;
        };
        let mut signs = Vec::new();
        if hostname.is_some() && hostname != p.hostname.as_deref() {
            signs.push(format!(
                "its host name is now {}",
                hostname.unwrap_or_default()
            ));
        }
        if vendor_class.is_some() && vendor_class != p.vendor_class.as_deref() {
            signs.push("it names another software in DHCP".to_string());
        }
        if signs.is_empty() {
            return false; // the same identity: a renewal, not a reset
        }
        self.transfers.remove(mac);
        let erased = self
            .erase(mac, &format!("warden (transfer, {})", p.how), now)
            .unwrap_or_default();
        self.event(
            now,
            Some(mac),
            "transfer-completed",
            json!({"how": p.how, "signs": signs, "rows_erased": erased.values().sum::<usize>(),
                   "the_rest": "removing it from the maker's cloud account and new passwords are the owner's to confirm"}),
        );
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn core() -> Core {
        test_core("")
    }

    fn dhcp(mac: MacAddr, host: &str) -> Event {
        Event::Dhcp {
            mac,
            mud_url: None,
            hostname: Some(host.into()),
            vendor_class: None,
            at: std::time::Instant::now(),
            via: "dhcp",
        }
    }

    #[test]
    fn a_reset_under_a_new_identity_ends_the_old_household_s_history() {
        let mut c = core();
        let mac = MacAddr([2, 0, 0, 0, 0, 5]);
        c.on_event(dhcp(mac, "washer"), 100);
        c.set_lifecycle(&mac, Lifecycle::InUse, "installed", "ann (owner)", 101)
            .unwrap();
        c.store
            .add_flow(&FlowSummary {
                mac: mac.to_string(),
                remote: "cloud.washer.example".into(),
                protocol: "tcp".into(),
                port: 443,
                direction: "out".into(),
                flows: 1,
                packets: 4,
                bytes: 400,
                first_seen: 102,
                last_seen: 102,
                verdict: "allowed".into(),
                dropped: false,
                why: None,
            })
            .unwrap();
        assert!(c
            .start_transfer(&mac, "bartered", "ann (owner)", 110)
            .is_err());
        let out = c.start_transfer(&mac, "sold", "ann (owner)", 110).unwrap();
        assert_eq!(out["checklist"].as_array().unwrap().len(), 4);
        assert_eq!(
            out["history"]["tables"]["flow_summaries"][0]["remote"],
            "cloud.washer.example"
        );
        assert_eq!(c.devices[&mac].lifecycle, Lifecycle::Transferred);
        // A renewal under the same identity: not a reset.
        c.on_event(dhcp(mac, "washer"), 120);
        assert!(c.transfer_of(&mac).is_some());
        assert_eq!(c.store.flow_summaries(&mac.to_string()).unwrap().len(), 1);
        // The reset: a new host name.
        c.on_event(dhcp(mac, "ESP_1A2B3C"), 130);
        assert!(c.transfer_of(&mac).is_none());
        assert!(c.store.flow_summaries(&mac.to_string()).unwrap().is_empty());
        let d = &c.devices[&mac];
        assert_eq!((d.lifecycle, d.first_seen), (Lifecycle::Discovered, 130));
        let kinds: Vec<String> = c
            .store
            .events(Some(&mac.to_string()), 50)
            .unwrap()
            .into_iter()
            .map(|e| e.kind)
            .collect();
        assert!(
            kinds.contains(&"transfer-completed".to_string()),
            "{kinds:?}"
        );
        assert!(
            !kinds.contains(&"lifecycle".to_string())
                && !kinds.contains(&"transfer-started".to_string()),
            "the old household's events are gone: {kinds:?}"
        );
    }
}
