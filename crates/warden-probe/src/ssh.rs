//! An SSH password login through libssh2 (the `ssh2` crate), on a TCP
//! connection opened through the scope.

use crate::creds::{Attempt, Credential};
use crate::scope::Scope;
use std::net::SocketAddr;
use std::time::Duration;

/// libssh2's "authentication failed" error code.
const AUTH_FAILED: i32 = -18;

fn session(scope: &Scope, addr: SocketAddr, timeout: Duration) -> Result<ssh2::Session, String> {
    let tcp = scope.open(addr, timeout)?;
    let mut s = ssh2::Session::new().map_err(|e| e.to_string())?;
    s.set_tcp_stream(tcp);
    s.set_timeout(u32::try_from((timeout * 4).as_millis()).unwrap_or(u32::MAX));
    s.handshake().map_err(|e| format!("handshake: {e}"))?;
    Ok(s)
}

/// Whether the server offers password (or keyboard-interactive) logins.
pub fn offers_password(scope: &Scope, addr: SocketAddr, timeout: Duration) -> Result<bool, String> {
    let s = session(scope, addr, timeout)?;
    let m = s.auth_methods("root").map_err(|e| e.to_string())?;
    Ok(m.split(',').any(|x| x == "password"))
}

pub fn attempt(scope: &Scope, addr: SocketAddr, c: &Credential, timeout: Duration) -> Attempt {
    let s = match session(scope, addr, timeout) {
        Ok(s) => s,
        Err(e) => return Attempt::Error(e),
    };
    let r = s.userauth_password(&c.user, &c.password);
    let out = match r {
        Ok(()) if s.authenticated() => Attempt::Accepted,
        Ok(()) => Attempt::Rejected,
        Err(e) => match e.code() {
            ssh2::ErrorCode::Session(AUTH_FAILED) => Attempt::Rejected,
            _ => Attempt::Error(e.to_string()),
        },
    };
    let _ = s.disconnect(None, "warden probe done", None);
    out
}
