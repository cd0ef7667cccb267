//! Who a device is, in the words the pages use: its maker and model (from
//! its MUD file, its DHCP vendor class, the host names it announces over
//! mDNS and the IEEE registry of MAC address blocks compiled into
//! `warden_analyze::oui`) and its category (a person's choice, or warden's guess).
//!
//! The category decides who sees a device's destinations: the household's
//! personal devices (phones, computers, tablets) keep theirs from members
//! and operators. A guess never widens what others see: a device warden
//! cannot place is treated as personal until a person says otherwise.
//! Everything a device says about itself (host name, vendor class) may be
//! forged; it only ever feeds the guess and the text shown, never
//! enforcement.

use warden_mud::MacAddr;

/// What kind of device it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Category {
    Camera,
    Speaker,
    Television,
    Appliance,
    Sensor,
    Hub,
    Printer,
    /// An IoT device warden cannot place more exactly.
    OtherIot,
    Phone,
    Computer,
    Tablet,
    /// Not placed: treated as personal.
    Unknown,
}

impl Category {
    pub const ALL: [Category; 12] = [
        Category::Camera,
        Category::Speaker,
        Category::Television,
        Category::Appliance,
        Category::Sensor,
        Category::Hub,
        Category::Printer,
        Category::OtherIot,
        Category::Phone,
        Category::Computer,
        Category::Tablet,
        Category::Unknown,
    ];

    /// The stable name (store, API, forms).
    pub fn name(self) -> &'static str {
        match self {
            Category::Camera => "camera",
            Category::Speaker => "speaker",
            Category::Television => "television",
            Category::Appliance => "appliance",
            Category::Sensor => "sensor",
            Category::Hub => "hub",
            Category::Printer => "printer",
            Category::OtherIot => "other-iot",
            Category::Phone => "phone",
            Category::Computer => "computer",
            Category::Tablet => "tablet",
            Category::Unknown => "unknown",
        }
    }

    /// In plain words, for the pages.
    pub fn words(self) -> &'static str {
        match self {
            Category::Camera => "camera",
            Category::Speaker => "speaker or voice assistant",
            Category::Television => "television or media player",
            Category::Appliance => "household appliance",
            Category::Sensor => "sensor, plug or light",
            Category::Hub => "smart-home hub",
            Category::Printer => "printer",
            Category::OtherIot => "connected device",
            Category::Phone => "phone (personal)",
            Category::Computer => "computer (personal)",
            Category::Tablet => "tablet (personal)",
            Category::Unknown => "not known yet (treated as personal)",
        }
    }

    pub fn parse(s: &str) -> Option<Category> {
        Category::ALL.into_iter().find(|c| c.name() == s)
    }

    /// A person's own device: its destinations are theirs.
    pub fn personal(self) -> bool {
        matches!(
            self,
            Category::Phone | Category::Computer | Category::Tablet | Category::Unknown
        )
    }
}

/// Warden's guess from what the device said and whether it has a MUD file.
pub fn guess(
    has_mud: bool,
    hostname: Option<&str>,
    vendor_class: Option<&str>,
    mdns_names: &std::collections::BTreeSet<String>,
) -> Category {
    // The DHCP host name and the mDNS ones, as one text to look in.
    let mut h = hostname.unwrap_or("").to_ascii_lowercase();
    for n in mdns_names {
        h.push(' ');
        h.push_str(&n.to_ascii_lowercase());
    }
    let v = vendor_class.unwrap_or("").to_ascii_lowercase();
    let has = |words: &[&str]| words.iter().any(|w| h.contains(w));
    if has(&["cam", "doorbell", "nvr"]) {
        return Category::Camera;
    }
    if has(&["echo", "speaker", "sonos", "homepod", "nest-mini", "alexa"]) {
        return Category::Speaker;
    }
    if has(&["tv", "chromecast", "roku", "firetv", "appletv"]) {
        return Category::Television;
    }
    if has(&[
        "washer",
        "washing",
        "dryer",
        "fridge",
        "oven",
        "dishwasher",
        "vacuum",
    ]) {
        return Category::Appliance;
    }
    if has(&["plug", "bulb", "light", "sensor", "thermostat", "switch"]) {
        return Category::Sensor;
    }
    if has(&["hub", "bridge", "gateway"]) {
        return Category::Hub;
    }
    if has(&["printer", "print"]) {
        return Category::Printer;
    }
    if has_mud {
        // Makers publish MUD files for things, not for people's computers.
        return Category::OtherIot;
    }
    if v.starts_with("android-dhcp") || has(&["iphone", "android", "pixel", "galaxy", "phone"]) {
        return Category::Phone;
    }
    if has(&["ipad", "tablet"]) {
        return Category::Tablet;
    }
    if v.starts_with("msft") || has(&["macbook", "laptop", "desktop", "thinkpad", "imac", "-pc"]) {
        return Category::Computer;
    }
    Category::Unknown
}

/// A locally administered address: chosen by the device (phones and
/// computers randomise theirs per network), not assigned by a maker.
pub fn locally_administered(mac: &MacAddr) -> bool {
    mac.0[0] & 0x02 != 0
}

/// Maker and model as far as warden can tell, each with where it came from.
pub fn maker_and_model(
    mac: &MacAddr,
    mud: Option<&warden_mud::ValidatedMud>,
    vendor_class: Option<&str>,
    mdns_names: &std::collections::BTreeSet<String>,
) -> Vec<String> {
    let mut out = Vec::new();
    if let Some(m) = mud {
        match (&m.meta().mfg_name, &m.meta().model_name) {
            (Some(a), Some(b)) => out.push(format!("{a} {b} (its MUD file)")),
            (Some(a), None) => out.push(format!("{a} (its MUD file)")),
            (None, Some(b)) => out.push(format!("{b} (its MUD file)")),
            (None, None) => {}
        }
    }
    if let Some(v) = vendor_class.filter(|v| !v.is_empty()) {
        out.push(format!("{v} (what it told DHCP)"));
    }
    if !mdns_names.is_empty() {
        let names: Vec<&str> = mdns_names.iter().map(String::as_str).collect();
        out.push(format!(
            "{} (what it announces over mDNS)",
            names.join(", ")
        ));
    }
    if let Some(o) = warden_analyze::oui::vendor(mac.0) {
        out.push(format!("{o} (its network card's maker)"));
    } else if locally_administered(mac) {
        out.push("a private, randomised address (phones and computers use these)".into());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn makers_come_with_their_sources() {
        let pi = MacAddr::parse("b8:27:eb:01:02:03").unwrap();
        let mdns: std::collections::BTreeSet<String> = ["Living-Room-TV.local".to_string()].into();
        let m = maker_and_model(&pi, None, Some("dhcpcd-10.0.6"), &mdns);
        assert_eq!(m[0], "dhcpcd-10.0.6 (what it told DHCP)");
        assert_eq!(m[1], "Living-Room-TV.local (what it announces over mDNS)");
        assert!(m[2].contains("Raspberry Pi"), "{m:?}");
        let random = MacAddr::parse("ba:27:eb:01:02:03").unwrap();
        let none = Default::default();
        assert!(maker_and_model(&random, None, None, &none)[0].contains("randomised"));
        // The name it announces places it.
        assert_eq!(guess(false, None, None, &mdns), Category::Television);
    }

    #[test]
    fn an_unplaced_device_is_personal_and_a_mud_file_means_a_thing() {
        let none = std::collections::BTreeSet::new();
        assert_eq!(guess(false, None, None, &none), Category::Unknown);
        assert!(Category::Unknown.personal());
        assert_eq!(guess(true, None, None, &none), Category::OtherIot);
        assert!(!Category::OtherIot.personal());
        assert_eq!(
            guess(false, Some("Anns-iPhone"), None, &none),
            Category::Phone
        );
        assert_eq!(
            guess(false, None, Some("android-dhcp-14"), &none),
            Category::Phone
        );
        assert_eq!(
            guess(false, None, Some("MSFT 5.0"), &none),
            Category::Computer
        );
        assert_eq!(
            guess(true, Some("lab-camera"), None, &none),
            Category::Camera
        );
        for c in Category::ALL {
            assert_eq!(Category::parse(c.name()), Some(c));
        }
        assert_eq!(Category::parse("root"), None);
    }
}
