//! The dashboard's HTTPS certificate: made by warden at first start
//! (ECDSA P-256, self-signed, valid ten years, for the gateway's address
//! and `warden.lan`), kept in the state directory (`web-cert.pem`, and
//! `web-key.pem` mode 0600), its SHA-256 fingerprint logged so that a
//! person can check what the browser shows. rustls (ring) serves it.

use std::io::Write;
use std::net::IpAddr;
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;
use std::sync::Arc;

/// The fingerprint as browsers show it: SHA-256 of the DER certificate,
/// upper-case hex pairs joined by colons.
pub fn fingerprint(der: &[u8]) -> String {
    openssl::sha::sha256(der)
        .iter()
        .map(|b| format!("{b:02X}"))
        .collect::<Vec<_>>()
        .join(":")
}

/// Loads the certificate and key from `dir`, or makes them; returns the
/// TLS acceptor and the certificate's fingerprint.
pub fn acceptor(
    dir: &Path,
    address: IpAddr,
) -> Result<(tokio_rustls::TlsAcceptor, String), String> {
    let (cert_p, key_p) = (dir.join("web-cert.pem"), dir.join("web-key.pem"));
    if !cert_p.exists() || !key_p.exists() {
        let mut params = rcgen::CertificateParams::new(vec!["warden.lan".to_string()])
            .map_err(|e| format!("certificate: {e}"))?;
        params
            .subject_alt_names
            .push(rcgen::SanType::IpAddress(address));
        params
            .distinguished_name
            .push(rcgen::DnType::CommonName, "warden gateway");
        params.not_before = rcgen::date_time_ymd(2024, 1, 1);
        params.not_after = rcgen::date_time_ymd(2034, 1, 1);
        let key = rcgen::KeyPair::generate().map_err(|e| format!("key: {e}"))?;
        let cert = params
            .self_signed(&key)
            .map_err(|e| format!("certificate: {e}"))?;
        let write = |p: &Path, text: &str, mode: u32| -> Result<(), String> {
            let _ = std::fs::remove_file(p);
            let mut f = std::fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .mode(mode)
                .open(p)
                .map_err(|e| format!("{}: {e}", p.display()))?;
            f.write_all(text.as_bytes())
                .and_then(|()| f.sync_all())
                .map_err(|e| format!("{}: {e}", p.display()))
        };
        write(&key_p, &key.serialize_pem(), 0o600)?;
        write(&cert_p, &cert.pem(), 0o600)?;
    }
    let read = |p: &Path| std::fs::read(p).map_err(|e| format!("{}: {e}", p.display()));
    let cert_pem = read(&cert_p)?;
    let key_pem = read(&key_p)?;
    let certs: Vec<rustls::pki_types::CertificateDer<'static>> =
        rustls::pki_types::pem::PemObject::pem_slice_iter(&cert_pem)
            .collect::<Result<_, _>>()
            .map_err(|e| format!("{}: {e}", cert_p.display()))?;
    let key = <rustls::pki_types::PrivateKeyDer<'static> as rustls::pki_types::pem::PemObject>::from_pem_slice(&key_pem)
        .map_err(|e| format!("{}: {e}", key_p.display()))?;
    let fp = fingerprint(certs.first().ok_or("no certificate")?.as_ref());
    let config = rustls::ServerConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_protocol_versions(&[&rustls::version::TLS13, &rustls::version::TLS12])
    .map_err(|e| format!("tls: {e}"))?
    .with_no_client_auth()
    .with_single_cert(certs, key)
    .map_err(|e| format!("tls: {e}"))?;
    Ok((tokio_rustls::TlsAcceptor::from(Arc::new(config)), fp))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn made_once_then_loaded_with_the_same_fingerprint_and_a_private_key() {
        use std::os::unix::fs::PermissionsExt;
        let dir = std::env::temp_dir().join(format!("warden-tls-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let ip: IpAddr = "10.77.0.1".parse().unwrap();
        let (_, a) = acceptor(&dir, ip).unwrap();
        let (_, b) = acceptor(&dir, ip).unwrap();
        assert_eq!(a, b);
        assert_eq!(a.len(), 32 * 3 - 1);
        let mode = std::fs::metadata(dir.join("web-key.pem"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
        // openssl agrees on the fingerprint and the address.
        let o = std::process::Command::new("openssl")
            .args([
                "x509",
                "-noout",
                "-fingerprint",
                "-sha256",
                "-ext",
                "subjectAltName",
                "-in",
            ])
            .arg(dir.join("web-cert.pem"))
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&o.stdout);
        assert!(text.contains(&a), "{text}");
        assert!(
            text.contains("IP Address:10.77.0.1") && text.contains("DNS:warden.lan"),
            "{text}"
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
