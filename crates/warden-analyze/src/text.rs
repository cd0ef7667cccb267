//! The analyzer's report as text for people: what `warden analyze` prints
//! without `--json`.

use crate::Report;

impl Report {
    /// The report in plain text, as `warden analyze` prints it.
    pub fn text(&self) -> String {
        let r = self;
        let mut t = format!(
            "{} packets, {} flows, {} devices\n",
            r.packets,
            r.flows,
            r.devices.len()
        );
        for e in &r.capture_errors {
            t += &format!("capture error: {e}\n");
        }
        for d in &r.devices {
            let id = &d.identity;
            let who = match (&d.mac, &d.address) {
                (Some(m), _) => m.clone(),
                (None, Some(a)) => a.to_string(),
                (None, None) => "?".into(),
            };
            t += &format!("\ndevice {who}");
            if let Some(h) = &id.hostname {
                t += &format!("  \"{h}\"");
            }
            if let Some(v) = id.vendor {
                t += &format!("  ({v})");
            }
            t += "\n";
            if !id.addresses.is_empty() {
                let a: Vec<String> = id.addresses.iter().map(|x| x.to_string()).collect();
                t += &format!("  addresses: {}\n", a.join(", "));
            }
            if let Some(v) = &id.vendor_class {
                t += &format!("  DHCP vendor class: {v}\n");
            }
            for u in &id.mud_urls {
                t += &format!("  MUD URL: {u}\n");
            }
            for (ja4, n) in &id.tls_clients {
                t += &format!(
                    "  TLS client JA4 {ja4}  ({n} hello{})\n",
                    if *n == 1 { "" } else { "s" }
                );
            }
            for r in &d.remotes {
                let arrow = if r.direction == "outbound" {
                    "->"
                } else {
                    "<-"
                };
                t += &format!(
                    "  {arrow} {} {}/{}  {} flows, {} pkts out / {} in, {} B out / {} B in\n",
                    r.remote,
                    r.protocol,
                    r.port,
                    r.flows,
                    r.packets_out,
                    r.packets_in,
                    r.bytes_out,
                    r.bytes_in
                );
            }
        }
        if !r.anomalies.is_empty() {
            t += "\nanomalies:\n";
            for (k, v) in &r.anomalies {
                t += &format!("  {k}: {v}\n");
            }
        }
        t
    }
}
