//! `RawMud`: the bytes of a MUD file parsed as JSON (serde_json), with
//! bounded size and depth and duplicate member names refused. Nothing here
//! knows MUD; [`crate::validate`] turns a `RawMud` into a `ValidatedMud`.

use crate::error::{Check, Diagnostic, MudError};
use serde::de::{self, DeserializeSeed, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Value};
use std::fmt;

/// RFC 8520 §16 tells MUD managers to bound what they fetch; 1 MiB is far
/// above any real MUD file (the largest in our corpus is ~60 KiB).
pub const DEFAULT_MAX_BYTES: usize = 1024 * 1024;

/// A parsed, not yet validated, MUD document.
#[derive(Debug, Clone)]
pub struct RawMud {
    pub(crate) json: Value,
    pub(crate) len: usize,
}

impl RawMud {
    /// Parses JSON. Refuses inputs over `max_bytes`, non-UTF-8 text, nesting
    /// deeper than serde_json's limit (128), and objects with a repeated
    /// member name (a later `"forwarding"` must not silently replace an
    /// earlier one).
    pub fn parse(bytes: &[u8], max_bytes: usize) -> Result<RawMud, MudError> {
        if bytes.len() > max_bytes {
            return Err(invalid(
                Check::TooLarge,
                format!(
                    "the file is {} bytes; the limit is {max_bytes} bytes",
                    bytes.len()
                ),
            ));
        }
        // A UTF-8 byte order mark is not JSON (RFC 8259 §8.1 lets a parser
        // ignore it); some editors write one.
        let body = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
        let mut de = serde_json::Deserializer::from_slice(body);
        let json = match NoDupValue.deserialize(&mut de).and_then(|v| {
            de.end()?;
            Ok(v)
        }) {
            Ok(v) => v,
            Err(e) => {
                return Err(invalid(
                    Check::JsonSyntax,
                    format!(
                        "not valid JSON at line {}, column {} (byte offset {}): {}",
                        e.line(),
                        e.column(),
                        byte_offset(body, e.line(), e.column()) + (bytes.len() - body.len()),
                        strip_position(&e.to_string())
                    ),
                ))
            }
        };
        Ok(RawMud {
            json,
            len: bytes.len(),
        })
    }

    pub fn json(&self) -> &Value {
        &self.json
    }

    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }
}

fn invalid(check: Check, message: String) -> MudError {
    MudError::Invalid {
        errors: vec![Diagnostic {
            pointer: String::new(),
            check,
            message,
        }],
        warnings: vec![],
    }
}

fn strip_position(s: &str) -> String {
    match s.find(" at line ") {
        Some(i) => s.get(..i).unwrap_or(s).to_string(),
        None => s.to_string(),
    }
}

fn byte_offset(bytes: &[u8], line: usize, column: usize) -> usize {
    let mut cur_line = 1;
    let mut start = 0;
    for (i, b) in bytes.iter().enumerate() {
        if cur_line == line {
            break;
        }
        if *b == b'\n' {
            cur_line += 1;
            start = i + 1;
        }
    }
    (start + column.saturating_sub(1)).min(bytes.len())
}

/// Builds a `serde_json::Value`, refusing duplicate object members.
struct NoDupValue;

impl<'de> DeserializeSeed<'de> for NoDupValue {
    type Value = Value;
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        d.deserialize_any(NoDupVisitor)
    }
}

struct NoDupVisitor;

impl<'de> Visitor<'de> for NoDupVisitor {
    type Value = Value;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a JSON value")
    }
    fn visit_bool<E>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Bool(v))
    }
    fn visit_i64<E>(self, v: i64) -> Result<Value, E> {
        Ok(Value::from(v))
    }
    fn visit_u64<E>(self, v: u64) -> Result<Value, E> {
        Ok(Value::from(v))
    }
    fn visit_f64<E>(self, v: f64) -> Result<Value, E> {
        Ok(serde_json::Number::from_f64(v).map_or(Value::Null, Value::Number))
    }
    fn visit_str<E>(self, v: &str) -> Result<Value, E> {
        Ok(Value::String(v.to_string()))
    }
    fn visit_string<E>(self, v: String) -> Result<Value, E> {
        Ok(Value::String(v))
    }
    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_none<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut out = Vec::new();
        while let Some(v) = seq.next_element_seed(NoDupValue)? {
            out.push(v);
        }
        Ok(Value::Array(out))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let mut out = Map::new();
        while let Some(k) = map.next_key::<String>()? {
            if out.contains_key(&k) {
                return Err(de::Error::custom(format_args!(
                    "the member name `{k}` appears twice in one object"
                )));
            }
            let v = map.next_value_seed(NoDupValue)?;
            out.insert(k, v);
        }
        Ok(Value::Object(out))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn first_error(r: Result<RawMud, MudError>) -> Diagnostic {
        match r {
            Err(MudError::Invalid { errors, .. }) => errors.into_iter().next().unwrap(),
            Ok(_) => panic!("expected an error"),
        }
    }

    #[test]
    fn rejects_duplicate_member_names_with_position() {
        let d = first_error(RawMud::parse(
            br#"{"a": {"forwarding": "drop", "forwarding": "accept"}}"#,
            1000,
        ));
        assert_eq!(d.check, Check::JsonSyntax);
        assert!(
            d.message.contains("`forwarding` appears twice"),
            "{}",
            d.message
        );
        assert!(d.message.contains("line 1"), "{}", d.message);
    }

    #[test]
    fn ignores_a_utf8_byte_order_mark() {
        assert!(RawMud::parse(b"\xEF\xBB\xBF{}", 100).is_ok());
    }

    #[test]
    fn rejects_oversized_input_before_parsing() {
        let d = first_error(RawMud::parse(&[b' '; 20], 10));
        assert_eq!(d.check, Check::TooLarge);
    }

    #[test]
    fn rejects_trailing_garbage_and_deep_nesting() {
        assert_eq!(
            first_error(RawMud::parse(b"{} x", 100)).check,
            Check::JsonSyntax
        );
        let deep = "[".repeat(10_000);
        assert_eq!(
            first_error(RawMud::parse(deep.as_bytes(), 100_000)).check,
            Check::JsonSyntax
        );
    }

    #[test]
    fn reports_byte_offset_of_syntax_errors() {
        let d = first_error(RawMud::parse(b"{\n  \"a\": 1,\n  x\n}", 100));
        assert!(d.message.contains("line 3, column 3"), "{}", d.message);
        assert!(d.message.contains("byte offset 14"), "{}", d.message);
    }
}
