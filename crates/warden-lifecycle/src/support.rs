//! Support periods: how long a device gets security updates, and who says so.
//!
//! Four sources, in the order warden believes them:
//! 1. an entry by the owner or the operator (they may have bought an
//!    extension, or read the maker's notice);
//! 2. the device's own MUD file, when it says `is-supported: false`: the
//!    maker's live statement that support has ended (since `last-update`);
//! 3. the maker's declaration (`support-period-end` of a declaration, as
//!    `warden assess` reads it);
//! 4. the catalogue shipped with warden (and the operator's own), each
//!    entry with the public page that says so.
//!
//! A MUD file that says `is-supported: true` gives no end date: the
//! decision then falls to the next source that has one.

use serde::Deserialize;
use time::{Date, Month};

/// Where a statement about a device's support comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// A person: "ann (owner)".
    Person { who: String },
    /// The device's MUD file at this URL.
    Mud { url: String },
    /// The maker's declaration.
    Maker { what: String },
    /// A catalogue entry, with its public source.
    Catalogue { source: String },
}

impl Source {
    /// In plain words, for the pages.
    pub fn words(&self) -> String {
        match self {
            Source::Person { who } => format!("entered by {who}"),
            Source::Mud { url } => format!("the maker's MUD file ({url})"),
            Source::Maker { what } => format!("the maker's declaration ({what})"),
            Source::Catalogue { source } => format!("warden's catalogue, from {source}"),
        }
    }

    pub fn kind(&self) -> &'static str {
        match self {
            Source::Person { .. } => "person",
            Source::Mud { .. } => "mud",
            Source::Maker { .. } => "maker",
            Source::Catalogue { .. } => "catalogue",
        }
    }
}

/// One source's statement.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Statement {
    /// Security updates until this day (inclusive).
    EndsOn(Date),
    /// Support has ended (a MUD file's `is-supported: false`), perhaps with
    /// the day of the last update.
    Ended { last_update: Option<Date> },
    /// Supported, with no end published (`is-supported: true`).
    SupportedNoEnd,
}

/// What warden concludes about one device.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Support {
    pub statement: Statement,
    pub source: Source,
}

/// How close the end is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Milestone {
    /// 90 days or fewer left.
    Days90,
    /// 30 days or fewer left.
    Days30,
    /// No more security updates.
    Ended,
}

impl Milestone {
    pub fn name(self) -> &'static str {
        match self {
            Milestone::Days90 => "90-days",
            Milestone::Days30 => "30-days",
            Milestone::Ended => "ended",
        }
    }
}

impl Support {
    /// Picks the statement to believe from what each source says
    /// (see the module's order). None: nobody says anything.
    pub fn decide(statements: &[(Statement, Source)]) -> Option<Support> {
        let rank = |s: &Statement, src: &Source| match (src, s) {
            (Source::Person { .. }, _) => 0,
            (Source::Mud { .. }, Statement::Ended { .. }) => 1,
            (Source::Maker { .. }, Statement::EndsOn(_)) => 2,
            (Source::Catalogue { .. }, Statement::EndsOn(_)) => 3,
            (Source::Mud { .. }, Statement::EndsOn(_)) => 3,
            (_, Statement::SupportedNoEnd) => 5,
            _ => 4,
        };
        statements
            .iter()
            .enumerate()
            .min_by_key(|(i, (s, src))| (rank(s, src), *i))
            .map(|(_, (s, src))| Support {
                statement: s.clone(),
                source: src.clone(),
            })
    }

    /// The last day of security updates, when known.
    pub fn end(&self) -> Option<Date> {
        match self.statement {
            Statement::EndsOn(d) => Some(d),
            Statement::Ended { last_update } => last_update,
            Statement::SupportedNoEnd => None,
        }
    }

    /// Where `today` stands: None while more than 90 days are left or no
    /// end is known. The end day itself counts as ended (0 days left).
    pub fn milestone(&self, today: Date) -> Option<Milestone> {
        match self.statement {
            Statement::Ended { .. } => Some(Milestone::Ended),
            Statement::SupportedNoEnd => None,
            Statement::EndsOn(end) => {
                let left = (end - today).whole_days();
                match left {
                    i64::MIN..=0 => Some(Milestone::Ended),
                    1..=30 => Some(Milestone::Days30),
                    31..=90 => Some(Milestone::Days90),
                    _ => None,
                }
            }
        }
    }

    /// The sentence the dashboard shows, about "this camera".
    pub fn words(&self, what: &str, today: Date) -> String {
        match (&self.statement, self.milestone(today)) {
            (Statement::SupportedNoEnd, _) => {
                format!("The maker says this {what} is supported, but publishes no end date.")
            }
            (Statement::Ended { last_update: None }, _) => {
                format!("This {what} gets no more security updates: the maker says it is no longer supported.")
            }
            (
                Statement::Ended {
                    last_update: Some(d),
                },
                _,
            )
            | (Statement::EndsOn(d), Some(Milestone::Ended)) => format!(
                "This {what} gets no more security updates since {}.",
                day(*d)
            ),
            (Statement::EndsOn(d), _) => format!(
                "This {what} gets security updates until {} ({} days from now).",
                day(*d),
                (*d - today).whole_days()
            ),
        }
    }
}

/// "8 April 2024".
pub fn day(d: Date) -> String {
    format!("{} {} {}", d.day(), d.month(), d.year())
}

/// Reads "YYYY-MM-DD" (and the date part of an RFC 3339 time, as MUD's
/// `last-update` is).
pub fn parse_date(s: &str) -> Option<Date> {
    let s = s.get(..10)?;
    let b = s.as_bytes();
    if b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    let y: i32 = s[..4].parse().ok()?;
    let m: u8 = s[5..7].parse().ok()?;
    let d: u8 = s[8..10].parse().ok()?;
    Date::from_calendar_date(y, Month::try_from(m).ok()?, d).ok()
}

/// One catalogue entry.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct Entry {
    pub maker: String,
    #[serde(default)]
    pub aliases: Vec<String>,
    pub models: Vec<String>,
    pub support_end: String,
    pub source: String,
    #[serde(default)]
    pub note: Option<String>,
}

/// Support periods known ahead of time: warden's own and the operator's.
#[derive(Debug, Clone, Default)]
pub struct Catalogue {
    entries: Vec<(Entry, Date)>,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum CatalogueError {
    #[error("{0}")]
    Toml(String),
    #[error("device[{index}].{key}: {why}")]
    Entry {
        index: usize,
        key: &'static str,
        why: String,
    },
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    #[serde(default)]
    device: Vec<Entry>,
}

/// The catalogue shipped with warden (`data/support-catalogue.toml`).
pub const SHIPPED: &str = include_str!("../data/support-catalogue.toml");

fn fold(s: &str) -> String {
    s.chars()
        .filter(|c| c.is_alphanumeric())
        .flat_map(char::to_lowercase)
        .collect()
}

impl Catalogue {
    /// The shipped catalogue (it is tested to parse).
    pub fn shipped() -> Catalogue {
        Catalogue::parse(SHIPPED).unwrap_or_default()
    }

    /// Reads a catalogue; every entry needs a date and an https source.
    pub fn parse(text: &str) -> Result<Catalogue, CatalogueError> {
        let f: File = toml::from_str(text).map_err(|e| CatalogueError::Toml(e.to_string()))?;
        let mut entries = Vec::new();
        for (index, e) in f.device.into_iter().enumerate() {
            let Some(d) = parse_date(&e.support_end).filter(|_| e.support_end.len() == 10) else {
                return Err(CatalogueError::Entry {
                    index,
                    key: "support-end",
                    why: format!("{:?} is not a date (YYYY-MM-DD)", e.support_end),
                });
            };
            if !e.source.starts_with("https://") {
                return Err(CatalogueError::Entry {
                    index,
                    key: "source",
                    why: "every entry names the public https page that says so".into(),
                });
            }
            if e.models.is_empty() || fold(&e.maker).is_empty() {
                return Err(CatalogueError::Entry {
                    index,
                    key: "models",
                    why: "an entry names its maker and at least one model".into(),
                });
            }
            entries.push((e, d));
        }
        Ok(Catalogue { entries })
    }

    /// Entries of `other` come first (the operator's own before warden's).
    pub fn before(mut self, other: Catalogue) -> Catalogue {
        let mut e = other.entries;
        e.append(&mut self.entries);
        Catalogue { entries: e }
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The entry for a maker and model (case, spaces and punctuation
    /// ignored; the maker may be one of the entry's aliases).
    pub fn lookup(&self, maker: &str, model: &str) -> Option<(&Entry, Date)> {
        let (mk, md) = (fold(maker), fold(model));
        if mk.is_empty() || md.is_empty() {
            return None;
        }
        self.entries
            .iter()
            .find(|(e, _)| {
                (fold(&e.maker) == mk || e.aliases.iter().any(|a| fold(a) == mk))
                    && e.models.iter().any(|m| fold(m) == md)
            })
            .map(|(e, d)| (e, *d))
    }

    /// The catalogue's statement for a device, ready for [`Support::decide`].
    pub fn statement(&self, maker: &str, model: &str) -> Option<(Statement, Source)> {
        self.lookup(maker, model).map(|(e, d)| {
            (
                Statement::EndsOn(d),
                Source::Catalogue {
                    source: e.source.clone(),
                },
            )
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    fn person() -> Source {
        Source::Person {
            who: "ann (owner)".into(),
        }
    }

    #[test]
    fn the_shipped_catalogue_parses_and_every_entry_names_its_source() {
        let c = Catalogue::parse(SHIPPED).unwrap();
        assert!(c.len() >= 3);
        let (e, d) = c.lookup("Philips", "hue bridge V1").unwrap();
        assert_eq!(d, date!(2020 - 04 - 30));
        assert!(e.source.starts_with("https://"));
        assert_eq!(
            c.lookup("google", "Dropcam Pro").unwrap().1,
            date!(2024 - 04 - 08)
        );
        assert!(c.lookup("Google", "Nest Hub").is_none());
        assert!(c.lookup("", "").is_none());
    }

    #[test]
    fn bad_catalogues_name_the_entry_and_key() {
        let bad = "[[device]]\nmaker='A'\nmodels=['B']\nsupport-end='2030-13-01'\nsource='https://a.example/'\n";
        assert_eq!(
            Catalogue::parse(bad).unwrap_err().to_string(),
            "device[0].support-end: \"2030-13-01\" is not a date (YYYY-MM-DD)"
        );
        let bad = "[[device]]\nmaker='A'\nmodels=['B']\nsupport-end='2030-01-01'\nsource='http://a.example/'\n";
        assert!(Catalogue::parse(bad)
            .unwrap_err()
            .to_string()
            .starts_with("device[0].source"));
        assert!(Catalogue::parse("[[device]]\nmaker='A'\nsurprise=1\n").is_err());
    }

    #[test]
    fn the_person_then_the_mud_file_then_the_maker_then_the_catalogue() {
        let mud = (
            Statement::Ended {
                last_update: Some(date!(2026 - 01 - 10)),
            },
            Source::Mud {
                url: "https://m.example/cam.json".into(),
            },
        );
        let maker = (
            Statement::EndsOn(date!(2028 - 01 - 01)),
            Source::Maker {
                what: "declaration".into(),
            },
        );
        let cat = (
            Statement::EndsOn(date!(2027 - 01 - 01)),
            Source::Catalogue {
                source: "https://c.example/".into(),
            },
        );
        let own = (Statement::EndsOn(date!(2029 - 06 - 30)), person());
        let all = [cat.clone(), maker.clone(), mud.clone(), own.clone()];
        assert_eq!(Support::decide(&all).unwrap().source, person());
        assert_eq!(
            Support::decide(&all[..3]).unwrap().statement,
            mud.0,
            "the MUD file's is-supported: false beats a date"
        );
        assert_eq!(Support::decide(&all[..2]).unwrap().source, maker.1);
        assert_eq!(Support::decide(&all[..1]).unwrap().source, cat.1);
        let yes = (
            Statement::SupportedNoEnd,
            Source::Mud {
                url: "https://m.example/cam.json".into(),
            },
        );
        assert_eq!(
            Support::decide(&[yes.clone(), cat.clone()]).unwrap().source,
            cat.1,
            "is-supported: true has no date; the catalogue's is used"
        );
        assert_eq!(
            Support::decide(std::slice::from_ref(&yes))
                .unwrap()
                .statement,
            yes.0
        );
        assert_eq!(Support::decide(&[]), None);
    }

    #[test]
    fn milestones_at_90_30_and_0_days() {
        let s = Support {
            statement: Statement::EndsOn(date!(2027 - 03 - 31)),
            source: person(),
        };
        let at = |d: Date| s.milestone(d);
        assert_eq!(at(date!(2026 - 12 - 30)), None, "91 days left");
        assert_eq!(
            at(date!(2026 - 12 - 31)),
            Some(Milestone::Days90),
            "90 days left"
        );
        assert_eq!(at(date!(2027 - 01 - 01)), Some(Milestone::Days90));
        assert_eq!(at(date!(2027 - 03 - 01)), Some(Milestone::Days30));
        assert_eq!(at(date!(2027 - 03 - 30)), Some(Milestone::Days30));
        assert_eq!(at(date!(2027 - 03 - 31)), Some(Milestone::Ended));
        assert_eq!(at(date!(2030 - 01 - 01)), Some(Milestone::Ended));
        assert_eq!(
            s.words("camera", date!(2027 - 04 - 02)),
            "This camera gets no more security updates since 31 March 2027."
        );
        assert_eq!(
            s.words("camera", date!(2027 - 03 - 01)),
            "This camera gets security updates until 31 March 2027 (30 days from now)."
        );
        let ended = Support {
            statement: Statement::Ended { last_update: None },
            source: person(),
        };
        assert_eq!(
            ended.milestone(date!(2000 - 01 - 01)),
            Some(Milestone::Ended)
        );
    }

    #[test]
    fn dates_parse_strictly() {
        assert_eq!(parse_date("2024-04-08"), Some(date!(2024 - 04 - 08)));
        assert_eq!(
            parse_date("2018-09-16T13:53:04.908+10:00"),
            Some(date!(2018 - 09 - 16))
        );
        for bad in [
            "2024-4-8",
            "2024-02-30",
            "",
            "abcd-ef-gh",
            "2024/04/08",
            "20é4-04-08",
        ] {
            assert_eq!(parse_date(bad), None, "{bad}");
        }
    }
}
