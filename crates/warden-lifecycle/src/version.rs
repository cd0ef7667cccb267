//! Comparing firmware and package versions that follow no one scheme.
//!
//! SemVer (`semver`) where both sides are SemVer, as OSV's `SEMVER` ranges
//! are. Otherwise a generic order: digits compare as numbers, letters as
//! lower-case text, separators are ignored, and a lone leading `v` is
//! dropped ("V4.3.10" = "4.3.10"; "MX-V5.2.6.2" < "MX-V5.2.6.4"). A
//! number ranks above letters at the same place, so "1.0" < "1.0.1" and
//! "1.0-rc1" < "1.0.1". This is the order OSV's `ECOSYSTEM` ranges and
//! CSAF's version ranges need for firmware numbering; ecosystems with their
//! own rules (Debian epochs and tildes) are compared by it too, a known
//! approximation said in the README.

use std::cmp::Ordering;

#[derive(Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Token {
    // Order matters: text < number.
    Text(String),
    Number(u128),
}

fn tokens(v: &str) -> Vec<Token> {
    let v = v.trim();
    let v = match v.as_bytes() {
        [b'v' | b'V', d, ..] if d.is_ascii_digit() => &v[1..],
        _ => v,
    };
    let mut out = Vec::new();
    let mut chars = v.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        if c.is_ascii_digit() {
            let mut end = i + 1;
            while let Some(&(j, d)) = chars.peek() {
                if !d.is_ascii_digit() {
                    break;
                }
                end = j + 1;
                chars.next();
            }
            let digits = v[i..end].trim_start_matches('0');
            // Longer than u128 holds: compare by length then text.
            out.push(Token::Number(if digits.is_empty() {
                0
            } else {
                digits.parse().unwrap_or(u128::MAX)
            }));
        } else if c.is_alphabetic() {
            let mut s: String = c.to_lowercase().collect();
            while let Some(&(_, d)) = chars.peek() {
                if !d.is_alphabetic() {
                    break;
                }
                s.extend(d.to_lowercase());
                chars.next();
            }
            out.push(Token::Text(s));
        }
    }
    out
}

/// The generic order (see the module).
pub fn compare(a: &str, b: &str) -> Ordering {
    if let (Ok(x), Ok(y)) = (semver::Version::parse(a), semver::Version::parse(b)) {
        return x.cmp(&y);
    }
    let (ta, tb) = (tokens(a), tokens(b));
    for (x, y) in ta.iter().zip(tb.iter()) {
        match x.cmp(y) {
            Ordering::Equal => continue,
            o => return o,
        }
    }
    // A pre-release word after a common prefix sorts before the release:
    // "1.0rc1" < "1.0"; extra numbers sort after: "1.0" < "1.0.1".
    match ta.len().cmp(&tb.len()) {
        Ordering::Greater => match &ta[tb.len()] {
            Token::Text(_) => Ordering::Less,
            Token::Number(_) => Ordering::Greater,
        },
        Ordering::Less => match &tb[ta.len()] {
            Token::Text(_) => Ordering::Greater,
            Token::Number(_) => Ordering::Less,
        },
        Ordering::Equal => Ordering::Equal,
    }
}

/// Whether `v` has anything to compare (some digit).
pub fn comparable(v: &str) -> bool {
    v.chars().any(|c| c.is_ascii_digit())
}

/// Whether `version` lies in a CSAF `product_version_range` name:
/// "<V4.3.10", "<=8.1.1.3", ">=2.0|<3.0", "vers:generic/>=2.0|<3.0",
/// "vers:all/*". None when the range cannot be read (free text such as
/// "<=The_first_5_digits_of_serial_No.") or the version is not comparable.
pub fn in_range(version: &str, range: &str) -> Option<bool> {
    let range = range.trim();
    let body = match range.strip_prefix("vers:") {
        Some(rest) => rest.split_once('/')?.1,
        None => range,
    };
    if body == "*" {
        return Some(true);
    }
    if !comparable(version) {
        return None;
    }
    let mut any = false;
    for c in body.split('|') {
        let c = c.trim();
        let (op, v) = ["<=", ">=", "!=", "<", ">", "="]
            .iter()
            .find_map(|op| c.strip_prefix(op).map(|v| (*op, v.trim())))
            .unwrap_or(("=", c));
        if !comparable(v) || v.contains('_') || v.split_whitespace().count() > 1 {
            return None;
        }
        let o = compare(version, v);
        let ok = match op {
            "<=" => o != Ordering::Greater,
            ">=" => o != Ordering::Less,
            "<" => o == Ordering::Less,
            ">" => o == Ordering::Greater,
            "!=" => o != Ordering::Equal,
            _ => o == Ordering::Equal,
        };
        if !ok {
            return Some(false);
        }
        any = true;
    }
    any.then_some(true)
}

#[cfg(test)]
mod tests {
    use super::*;
    use Ordering::*;

    #[test]
    fn firmware_numbers_compare_as_people_read_them() {
        assert_eq!(compare("MX-V5.2.6.2", "MX-V5.2.6.4"), Less);
        assert_eq!(compare("MX-V4.10.1", "MX-V4.9.9"), Greater);
        assert_eq!(compare("V4.3.10", "4.3.10"), Equal);
        assert_eq!(compare("1.0", "1.0.1"), Less);
        assert_eq!(compare("1.0rc1", "1.0"), Less);
        assert_eq!(compare("1.0-rc1", "1.0.1"), Less);
        assert_eq!(compare("1.19.2", "1.20.3"), Less);
        assert_eq!(compare("1.0.0-alpha", "1.0.0"), Less, "semver");
        assert_eq!(compare("0014", "14"), Equal);
        assert_eq!(compare("8.1.0", "8.1.1.3"), Less);
        assert_eq!(compare("2.0", "2.00"), Equal);
        assert_eq!(
            compare("99999999999999999999999999999999999999999", "1"),
            Greater
        );
    }

    #[test]
    fn csaf_ranges() {
        assert_eq!(in_range("4.2.1", "<V4.3.10"), Some(true));
        assert_eq!(in_range("V4.3.10", "<V4.3.10"), Some(false));
        assert_eq!(in_range("8.1.1.3", "<=8.1.1.3"), Some(true));
        assert_eq!(in_range("8.2", "<=8.1.1.3"), Some(false));
        assert_eq!(in_range("2.5", "vers:generic/>=2.0|<3.0"), Some(true));
        assert_eq!(in_range("3.0", "vers:generic/>=2.0|<3.0"), Some(false));
        assert_eq!(in_range("anything", "vers:all/*"), Some(true));
        assert_eq!(
            in_range("12345", "<=The_first_5_digits_of_serial_No._"),
            None
        );
        assert_eq!(in_range("unknown", "<2.0"), None);
        assert_eq!(in_range("1", "vers:"), None);
    }
}
