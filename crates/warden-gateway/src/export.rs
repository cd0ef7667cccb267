//! What warden holds, handed back: one device's records or the whole
//! household's, as JSON or as CSV files in a zip archive. The layout is
//! documented in `docs/export.md` (schema `warden-export/1`).
//!
//! JSON: `{"schema": "warden-export/1", "exported_at": UNIX, "scope":
//! "household" | MAC, "tables": {TABLE: [ROW, ...]}}`, each row an object
//! of column name to value (blobs as lower-case hex). CSV: the same tables,
//! one file `TABLE.csv` each (a header row of column names, then one line
//! per row; empty when the table has no row in scope, RFC 4180 quoting, nested values as JSON text), and
//! `export.json` holding everything but the tables.

use serde_json::{json, Value};
use std::io::Write;

pub const SCHEMA: &str = "warden-export/1";

/// The export document around the tables a store export returned.
pub fn document(scope: &str, tables: Value, now: i64) -> Value {
    json!({"schema": SCHEMA, "exported_at": now, "scope": scope, "tables": tables})
}

fn cell(v: &Value) -> String {
    match v {
        Value::Null => String::new(),
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// The document as a zip of CSV files (see the module).
pub fn csv_zip(doc: &Value) -> Result<Vec<u8>, String> {
    let mut buf = std::io::Cursor::new(Vec::new());
    {
        let mut z = zip::ZipWriter::new(&mut buf);
        let o = zip::write::SimpleFileOptions::default();
        let mut head = doc.clone();
        if let Some(m) = head.as_object_mut() {
            m.remove("tables");
            m.insert(
                "tables".into(),
                json!(doc["tables"]
                    .as_object()
                    .map(|t| t.keys().map(|k| format!("{k}.csv")).collect::<Vec<_>>())
                    .unwrap_or_default()),
            );
        }
        z.start_file("export.json", o).map_err(|e| e.to_string())?;
        z.write_all(head.to_string().as_bytes())
            .map_err(|e| e.to_string())?;
        for (table, rows) in doc["tables"].as_object().into_iter().flatten() {
            let rows = rows.as_array().cloned().unwrap_or_default();
            // Columns: the first row's, in its order, then any others.
            let mut cols: Vec<String> = Vec::new();
            for r in &rows {
                for k in r.as_object().into_iter().flat_map(|o| o.keys()) {
                    if !cols.contains(k) {
                        cols.push(k.clone());
                    }
                }
            }
            // A table with no rows in scope: an empty file (no columns to
            // name).
            let mut bytes = Vec::new();
            if !cols.is_empty() {
                let mut w = csv::Writer::from_writer(Vec::new());
                w.write_record(&cols).map_err(|e| e.to_string())?;
                for r in &rows {
                    w.write_record(cols.iter().map(|c| cell(&r[c])))
                        .map_err(|e| e.to_string())?;
                }
                bytes = w.into_inner().map_err(|e| e.to_string())?;
            }
            z.start_file(format!("{table}.csv"), o)
                .map_err(|e| e.to_string())?;
            z.write_all(&bytes).map_err(|e| e.to_string())?;
        }
        z.finish().map_err(|e| e.to_string())?;
    }
    Ok(buf.into_inner())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Read;

    #[test]
    fn csv_files_hold_every_row_and_quote_what_needs_it() {
        let doc = document(
            "household",
            json!({"devices": [{"mac": "02:77:00:00:00:01", "hostname": "cam, \"front\"", "n": 3}],
                   "alerts": [{"id": 1, "evidence": {"a": [1, 2]}}, {"id": 2, "evidence": null}],
                   "empty": []}),
            99,
        );
        let z = csv_zip(&doc).unwrap();
        let mut a = zip::ZipArchive::new(std::io::Cursor::new(z)).unwrap();
        let mut text = |name: &str| {
            let mut s = String::new();
            a.by_name(name).unwrap().read_to_string(&mut s).unwrap();
            s
        };
        assert_eq!(
            text("devices.csv"),
            "mac,hostname,n\n02:77:00:00:00:01,\"cam, \"\"front\"\"\",3\n"
        );
        assert_eq!(
            text("alerts.csv"),
            "id,evidence\n1,\"{\"\"a\"\":[1,2]}\"\n2,\n"
        );
        assert_eq!(text("empty.csv"), "", "no rows, no columns to name");
        let head: Value = serde_json::from_str(&text("export.json")).unwrap();
        assert_eq!(head["schema"], SCHEMA);
        assert_eq!(head["exported_at"], 99);
        assert_eq!(head["tables"].as_array().unwrap().len(), 3);
    }
}
