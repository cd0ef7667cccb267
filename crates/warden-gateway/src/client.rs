//! The gateway's REST API from the command line (`warden inventory`): the
//! address is the configuration's `api-listen`, the credential the owner's
//! token in its state directory (as on the gateway itself, run as root or
//! the service's user).

use crate::config::Config;
use serde_json::Value;

/// One request; the answer's JSON, or the API's error with its status.
pub fn request(
    cfg: &Config,
    method: &str,
    path: &str,
    body: Option<Value>,
) -> Result<Value, String> {
    let token = std::fs::read_to_string(cfg.state_dir.join("api-token"))
        .map_err(|e| format!("{}: {e}", cfg.state_dir.join("api-token").display()))?;
    let url = format!("http://{}{path}", cfg.api_listen);
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| e.to_string())?;
    rt.block_on(async {
        let c = reqwest::Client::builder()
            .timeout(std::time::Duration::from_secs(10))
            .build()
            .map_err(|e| e.to_string())?;
        let m = reqwest::Method::from_bytes(method.as_bytes()).map_err(|e| e.to_string())?;
        let mut r = c.request(m, &url).bearer_auth(token.trim());
        if let Some(b) = body {
            r = r
                .header("content-type", "application/json")
                .body(b.to_string());
        }
        let resp = r.send().await.map_err(|e| format!("{url}: {e}"))?;
        let status = resp.status();
        let text = resp.text().await.map_err(|e| e.to_string())?;
        let v: Value = serde_json::from_str(&text).unwrap_or(Value::String(text));
        if status.is_success() {
            Ok(v)
        } else {
            Err(format!(
                "{status}: {}",
                v["error"]
                    .as_str()
                    .map(str::to_string)
                    .unwrap_or_else(|| v.to_string())
            ))
        }
    })
}
