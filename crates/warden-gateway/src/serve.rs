//! Serving the API and the remediation page with bounds a LAN device cannot
//! stretch: at most [`Limits::per_client`] connections per client address
//! and [`Limits::total`] in all (more are closed at once), request headers
//! within [`Limits::header_timeout`], and every connection closed after
//! [`Limits::lifetime`] whatever it is doing (a slow body included). One
//! request per connection (no keep-alive), so nothing idles on a slot.
//!
//! A quarantined device that opens a thousand half-sent requests to the
//! remediation page therefore holds at most `per_client` descriptors, for
//! at most `lifetime`, and the gateway keeps the rest of its descriptors
//! for nftables, the store and the fetcher.

use axum::extract::ConnectInfo;
use axum::Router;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::net::TcpListener;
use tokio::sync::Semaphore;

#[derive(Debug, Clone, Copy)]
pub struct Limits {
    pub per_client: usize,
    pub total: usize,
    pub header_timeout: Duration,
    pub lifetime: Duration,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            per_client: 16,
            total: 256,
            header_timeout: Duration::from_secs(5),
            lifetime: Duration::from_secs(30),
        }
    }
}

/// Counts a client's open connections; gives its slot back when dropped.
struct Slot {
    table: Arc<Mutex<HashMap<IpAddr, usize>>>,
    ip: IpAddr,
}

impl Drop for Slot {
    fn drop(&mut self) {
        let mut t = self.table.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(n) = t.get_mut(&self.ip) {
            *n -= 1;
            if *n == 0 {
                t.remove(&self.ip);
            }
        }
    }
}

fn take_slot(
    table: &Arc<Mutex<HashMap<IpAddr, usize>>>,
    ip: IpAddr,
    per_client: usize,
) -> Option<Slot> {
    let mut t = table.lock().unwrap_or_else(|e| e.into_inner());
    let n = t.entry(ip).or_default();
    if *n >= per_client {
        return None;
    }
    *n += 1;
    Some(Slot {
        table: table.clone(),
        ip,
    })
}

/// Whether a request came over TLS (an extension of every request).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Tls(pub bool);

/// The headers every answer carries: no framing, no sniffing, no referrer,
/// a content security policy without inline script or style, and on TLS
/// strict transport security.
async fn plain_headers(r: axum::response::Response) -> axum::response::Response {
    with_headers(r, false)
}
async fn tls_headers(r: axum::response::Response) -> axum::response::Response {
    with_headers(r, true)
}

fn with_headers(mut r: axum::response::Response, tls: bool) -> axum::response::Response {
    use axum::http::HeaderValue;
    let h = r.headers_mut();
    h.insert(
        "content-security-policy",
        HeaderValue::from_static(
            "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
             connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; \
             frame-ancestors 'none'",
        ),
    );
    h.insert("x-frame-options", HeaderValue::from_static("DENY"));
    h.insert(
        "x-content-type-options",
        HeaderValue::from_static("nosniff"),
    );
    h.insert("referrer-policy", HeaderValue::from_static("no-referrer"));
    h.insert("cache-control", HeaderValue::from_static("no-store"));
    if tls {
        h.insert(
            "strict-transport-security",
            HeaderValue::from_static("max-age=31536000"),
        );
    }
    r
}

/// Serves `app` on `listener` in plain HTTP until the task is dropped.
/// Handlers can read the client's address with `ConnectInfo<SocketAddr>`.
pub async fn serve(listener: TcpListener, app: Router, limits: Limits) {
    serve_with(listener, app, limits, None).await
}

/// The same over TLS when `tls` is given (the handshake must end within
/// the header timeout).
pub async fn serve_with(
    listener: TcpListener,
    app: Router,
    limits: Limits,
    tls: Option<tokio_rustls::TlsAcceptor>,
) {
    let app = if tls.is_some() {
        app.layer(axum::middleware::map_response(tls_headers))
    } else {
        app.layer(axum::middleware::map_response(plain_headers))
    };
    let total = Arc::new(Semaphore::new(limits.total));
    let table: Arc<Mutex<HashMap<IpAddr, usize>>> = Arc::default();
    loop {
        let (stream, peer) = match listener.accept().await {
            Ok(x) => x,
            Err(_) => {
                // Out of descriptors (EMFILE) or a connection reset before
                // accept: wait a little instead of spinning.
                tokio::time::sleep(Duration::from_millis(50)).await;
                continue;
            }
        };
        let Ok(permit) = total.clone().try_acquire_owned() else {
            continue; // dropped: closed at once
        };
        let Some(slot) = take_slot(&table, peer.ip(), limits.per_client) else {
            continue;
        };
        let svc = TowerToHyperService::new(
            app.clone()
                .layer(axum::Extension(ConnectInfo::<SocketAddr>(peer)))
                .layer(axum::Extension(Tls(tls.is_some()))),
        );
        let tls = tls.clone();
        tokio::spawn(async move {
            let _held = (permit, slot);
            let mut b = hyper::server::conn::http1::Builder::new();
            b.timer(TokioTimer::new())
                .header_read_timeout(limits.header_timeout)
                .keep_alive(false);
            match tls {
                None => {
                    let conn = b.serve_connection(TokioIo::new(stream), svc);
                    let _ = tokio::time::timeout(limits.lifetime, conn).await;
                }
                Some(acceptor) => {
                    let Ok(Ok(stream)) =
                        tokio::time::timeout(limits.header_timeout, acceptor.accept(stream)).await
                    else {
                        return; // no handshake in time, or a bad one
                    };
                    let conn = b.serve_connection(TokioIo::new(stream), svc);
                    let _ = tokio::time::timeout(limits.lifetime, conn).await;
                }
            }
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    #[tokio::test]
    async fn slow_clients_hold_only_their_own_slots_and_only_for_a_while() {
        let l = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = l.local_addr().unwrap();
        let app = Router::new().route(
            "/",
            axum::routing::get(|ConnectInfo(p): ConnectInfo<SocketAddr>| async move {
                format!("hello {}", p.ip())
            }),
        );
        let limits = Limits {
            per_client: 4,
            total: 8,
            header_timeout: Duration::from_millis(300),
            lifetime: Duration::from_secs(2),
        };
        tokio::spawn(serve(l, app, limits));
        // Four half-sent requests fill this client's slots.
        let mut slow = Vec::new();
        for _ in 0..4 {
            let mut s = tokio::net::TcpStream::connect(addr).await.unwrap();
            s.write_all(b"GET / HTTP/1.1\r\nHost: x\r\n").await.unwrap();
            slow.push(s);
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
        // A fifth is closed at once.
        let mut fifth = tokio::net::TcpStream::connect(addr).await.unwrap();
        let _ = fifth.write_all(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n").await;
        let mut buf = Vec::new();
        let n = tokio::time::timeout(Duration::from_secs(1), fifth.read_to_end(&mut buf))
            .await
            .expect("closed at once")
            .unwrap_or(0);
        assert_eq!(n, 0, "{}", String::from_utf8_lossy(&buf));
        // The header timeout frees the slots; then a request is answered.
        tokio::time::sleep(Duration::from_millis(600)).await;
        let mut ok = tokio::net::TcpStream::connect(addr).await.unwrap();
        ok.write_all(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
            .await
            .unwrap();
        let mut buf = Vec::new();
        tokio::time::timeout(Duration::from_secs(2), ok.read_to_end(&mut buf))
            .await
            .unwrap()
            .unwrap();
        let text = String::from_utf8_lossy(&buf);
        assert!(text.contains("hello 127.0.0.1"), "{text}");
        assert!(text.contains("x-frame-options: DENY"), "{text}");
        assert!(
            text.contains("content-security-policy: default-src 'self'"),
            "{text}"
        );
        assert!(!text.contains("strict-transport-security"), "{text}");
        drop(slow);
    }
}
