//! Who a device is, in the words the pages use: its maker and model (from
//! its MUD file, its DHCP vendor class and the IEEE registry of MAC address
//! blocks) and its category (a person's choice, or warden's guess).
//!
//! The category decides who sees a device's destinations: the household's
//! personal devices (phones, computers, tablets) keep theirs from members
//! and operators. A guess never widens what others see: a device warden
//! cannot place is treated as personal until a person says otherwise.
//! Everything a device says about itself (host name, vendor class) may be
//! forged; it only ever feeds the guess and the text shown, never
//! enforcement.

use std::collections::HashMap;
use std::io::{BufRead, Read};
use std::path::Path;
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
) -> Category {
    let h = hostname.unwrap_or("").to_ascii_lowercase();
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
    if has(&["washer", "washing", "dryer", "fridge", "oven", "dishwasher", "vacuum"]) {
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
    if v.starts_with("msft") || has(&["macbook", "laptop", "desktop", "thinkpad", "imac", "-pc"])
    {
        return Category::Computer;
    }
    Category::Unknown
}

/// The IEEE registry of MAC address blocks (MA-L, 24-bit prefixes), read
/// from Debian's `ieee-data` package (`/usr/share/ieee-data/oui.csv`) or
/// another copy in the same CSV format. Nothing is fetched.
#[derive(Debug, Default)]
pub struct Oui {
    /// 24-bit prefix -> organisation.
    makers: HashMap<u32, Box<str>>,
}

/// Where Debian's `ieee-data` puts it.
pub const DEBIAN_OUI_CSV: &str = "/usr/share/ieee-data/oui.csv";

/// The registry holds about 40,000 blocks; a file with many more is not it.
const MAX_OUI_ENTRIES: usize = 200_000;

impl Oui {
    /// Reads the CSV (`Registry,Assignment,Organization Name,...`); lines
    /// that do not parse are skipped. A missing file gives an empty registry.
    pub fn load(path: &Path) -> std::io::Result<Oui> {
        let f = match std::fs::File::open(path) {
            Ok(f) => f,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Oui::default()),
            Err(e) => return Err(e),
        };
        let mut makers = HashMap::new();
        let mut line = Vec::new();
        let mut r = std::io::BufReader::new(f);
        loop {
            line.clear();
            // Lines are short; a line without an end within 4 KiB is cut.
            let n = (&mut r).take(4096).read_until(b'\n', &mut line)?;
            if n == 0 || makers.len() >= MAX_OUI_ENTRIES {
                break;
            }
            if let Some((prefix, org)) = parse_line(&String::from_utf8_lossy(&line)) {
                makers.insert(prefix, org.into());
            }
        }
        Ok(Oui { makers })
    }

    pub fn len(&self) -> usize {
        self.makers.len()
    }

    pub fn is_empty(&self) -> bool {
        self.makers.is_empty()
    }

    /// The organisation the address's block was assigned to. None for
    /// locally administered (randomised) addresses and unknown blocks.
    pub fn maker(&self, mac: &MacAddr) -> Option<&str> {
        if locally_administered(mac) {
            return None;
        }
        let p = u32::from(mac.0[0]) << 16 | u32::from(mac.0[1]) << 8 | u32::from(mac.0[2]);
        self.makers.get(&p).map(|s| &**s)
    }
}

/// A locally administered address: chosen by the device (phones and
/// computers randomise theirs per network), not assigned by a maker.
pub fn locally_administered(mac: &MacAddr) -> bool {
    mac.0[0] & 0x02 != 0
}

fn parse_line(line: &str) -> Option<(u32, String)> {
    let mut rest = line.trim_end_matches(['\r', '\n']);
    let field = |rest: &mut &str| -> Option<String> {
        if let Some(q) = rest.strip_prefix('"') {
            let end = q.find('"')?;
            let v = q[..end].to_string();
            *rest = q[end + 1..].strip_prefix(',').unwrap_or("");
            Some(v)
        } else {
            let (v, r) = rest.split_once(',').unwrap_or((rest, ""));
            *rest = r;
            Some(v.to_string())
        }
    };
    let registry = field(&mut rest)?;
    let assignment = field(&mut rest)?;
    let org = field(&mut rest)?;
    if registry != "MA-L" || assignment.len() != 6 {
        return None;
    }
    let p = u32::from_str_radix(&assignment, 16).ok()?;
    let org = org.trim();
    (!org.is_empty() && org.len() <= 128 && !org.chars().any(char::is_control))
        .then(|| (p, org.to_string()))
}

/// Maker and model as far as warden can tell, each with where it came from.
pub fn maker_and_model(
    oui: &Oui,
    mac: &MacAddr,
    mud: Option<&warden_mud::ValidatedMud>,
    vendor_class: Option<&str>,
) -> Vec<String> {
    let mut out = Vec::new();
    if let Some(m) = mud {
        match (&m.meta.mfg_name, &m.meta.model_name) {
            (Some(a), Some(b)) => out.push(format!("{a} {b} (its MUD file)")),
            (Some(a), None) => out.push(format!("{a} (its MUD file)")),
            (None, Some(b)) => out.push(format!("{b} (its MUD file)")),
            (None, None) => {}
        }
    }
    if let Some(v) = vendor_class.filter(|v| !v.is_empty()) {
        out.push(format!("{v} (what it told DHCP)"));
    }
    if let Some(o) = oui.maker(mac) {
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
    fn registry_lines_parse_and_bad_ones_are_skipped() {
        assert_eq!(
            parse_line("MA-L,002272,American Micro-Fuel Device Corp.,Mumbai\n"),
            Some((0x002272, "American Micro-Fuel Device Corp.".into()))
        );
        assert_eq!(
            parse_line("MA-L,B827EB,\"Raspberry Pi Foundation\",\"Mitchell Wood House Caldecote, GB\""),
            Some((0xB827EB, "Raspberry Pi Foundation".into()))
        );
        assert_eq!(parse_line("Registry,Assignment,Organization Name"), None);
        assert_eq!(parse_line("MA-M,B827EB1,X,Y"), None);
        assert_eq!(parse_line("MA-L,ZZZZZZ,X,Y"), None);
        assert_eq!(parse_line("MA-L,\"B827EB"), None);
        assert_eq!(parse_line(""), None);
    }

    #[test]
    fn the_real_registry_names_a_raspberry_pi() {
        // Debian's ieee-data (installed by the test command).
        let oui = Oui::load(Path::new(DEBIAN_OUI_CSV)).unwrap();
        assert!(oui.len() > 10_000, "{}", oui.len());
        let pi = MacAddr::parse("b8:27:eb:01:02:03").unwrap();
        assert!(oui.maker(&pi).unwrap().contains("Raspberry Pi"));
        // A randomised address names no maker, even when its block exists.
        let random = MacAddr::parse("ba:27:eb:01:02:03").unwrap();
        assert_eq!(oui.maker(&random), None);
    }

    #[test]
    fn an_unplaced_device_is_personal_and_a_mud_file_means_a_thing() {
        assert_eq!(guess(false, None, None), Category::Unknown);
        assert!(Category::Unknown.personal());
        assert_eq!(guess(true, None, None), Category::OtherIot);
        assert!(!Category::OtherIot.personal());
        assert_eq!(guess(false, Some("Anns-iPhone"), None), Category::Phone);
        assert_eq!(guess(false, None, Some("android-dhcp-14")), Category::Phone);
        assert_eq!(guess(false, None, Some("MSFT 5.0")), Category::Computer);
        assert_eq!(guess(true, Some("lab-camera"), None), Category::Camera);
        for c in Category::ALL {
            assert_eq!(Category::parse(c.name()), Some(c));
        }
        assert_eq!(Category::parse("root"), None);
    }
}
