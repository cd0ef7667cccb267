//! MUD signatures (RFC 8520 §13): a detached DER CMS SignedData over the exact
//! bytes of the MUD file, checked against a trust store at a given time
//! ([`verify`]), and made by a maker's key and certificate ([`sign`]).
//!
//! The cryptography is OpenSSL's (`CMS_verify`: content digest, signed
//! attributes, signature, and chain building with validity at the injected
//! time). Nothing here implements a primitive.

mod algorithms;

use crate::error::SignatureError;
use openssl::cms::{CMSOptions, CmsContentInfo};
use openssl::pkcs7::{Pkcs7, Pkcs7Flags};
use openssl::stack::Stack;
use openssl::x509::store::X509StoreBuilder;
use openssl::x509::verify::X509VerifyFlags;
use openssl::x509::{X509Ref, X509};
use serde::Serialize;

/// Who signed, as reported after a successful verification.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Signer {
    pub subject: String,
    pub issuer: String,
    pub serial: String,
    pub not_before: String,
    pub not_after: String,
}

/// A set of trusted root certificates.
pub struct TrustStore {
    roots: Vec<X509>,
}

impl TrustStore {
    /// Reads one or more PEM certificates.
    pub fn from_pem(pem: &[u8]) -> Result<TrustStore, SignatureError> {
        let roots =
            X509::stack_from_pem(pem).map_err(|e| SignatureError::TrustStore(e.to_string()))?;
        if roots.is_empty() {
            return Err(SignatureError::TrustStore(
                "no PEM certificate found".into(),
            ));
        }
        Ok(TrustStore { roots })
    }

    pub fn len(&self) -> usize {
        self.roots.len()
    }

    pub fn is_empty(&self) -> bool {
        self.roots.is_empty()
    }
}

/// Verifies `signature` (DER) over `content` at `at` (Unix seconds).
pub fn verify(
    content: &[u8],
    signature: &[u8],
    trust: &TrustStore,
    at: i64,
) -> Result<Signer, SignatureError> {
    // A detached MUD signature is a few KiB; refuse anything absurd before
    // handing it to the ASN.1 parser.
    if signature.len() > 256 * 1024 {
        return Err(SignatureError::Malformed(format!(
            "{} bytes is too large for a signature",
            signature.len()
        )));
    }
    let mut sb = X509StoreBuilder::new().map_err(|e| SignatureError::TrustStore(e.to_string()))?;
    for r in &trust.roots {
        sb.add_cert(r.clone())
            .map_err(|e| SignatureError::TrustStore(e.to_string()))?;
    }
    // Check validity at the injected time, not the wall clock. Anchors must
    // be self-signed roots, so a leaf placed in the trust store does not
    // become a root.
    let mut param = openssl::x509::verify::X509VerifyParam::new()
        .map_err(|e| SignatureError::TrustStore(e.to_string()))?;
    // OpenSSL takes a time_t: 32 bits on 32-bit ARM and MIPS routers,
    // where a time past January 2038 cannot be said (not wrapped around).
    // (The same type as i64 on 64-bit targets, hence the allow.)
    #[allow(clippy::useless_conversion)]
    let at_c = at.try_into().map_err(|_| {
        SignatureError::Verification(format!(
            "the time {at} (Unix seconds) is outside this system's time_t"
        ))
    })?;
    param.set_time(at_c);
    // No X509_V_FLAG_PARTIAL_CHAIN: the chain must end in a self-signed root.
    param
        .clear_flags(X509VerifyFlags::PARTIAL_CHAIN)
        .map_err(|e| SignatureError::TrustStore(e.to_string()))?;
    // MUD signer certificates are not S/MIME certificates: accept any
    // purpose, as `openssl cms -verify -purpose any` does.
    param
        .set_purpose(openssl::x509::X509PurposeId::ANY)
        .map_err(|e| SignatureError::TrustStore(e.to_string()))?;
    sb.set_param(&param)
        .map_err(|e| SignatureError::TrustStore(e.to_string()))?;
    let store = sb.build();

    // CMS_verify, not PKCS7_verify: OpenSSL 3.0's PKCS7_verify leaks a BIO
    // on some malformed signatures (found by the mud_signature fuzz target,
    // confirmed with valgrind); CMS_verify does not.
    // RFC 8520 signatures are DER; a PEM-armoured one ("-----BEGIN CMS-----"
    // or "PKCS7") is accepted and turned into the same DER bytes, in Rust.
    let pem_der;
    let signature = if signature.starts_with(b"-----BEGIN") {
        let (label, der) = pem_rfc7468::decode_vec(signature)
            .map_err(|e| SignatureError::Malformed(format!("PEM: {e}")))?;
        if !matches!(label, "CMS" | "PKCS7") {
            return Err(SignatureError::Malformed(format!(
                "PEM label {label:?} is not CMS or PKCS7"
            )));
        }
        pem_der = der;
        &pem_der[..]
    } else {
        signature
    };
    // Every algorithm and key must be one RFC 8520 signers use before
    // OpenSSL parses anything (see algorithms.rs).
    algorithms::check(signature)?;
    let mut cms = CmsContentInfo::from_der(signature)
        .map_err(|e| SignatureError::Malformed(first_reason(&e)))?;
    cms.verify(None, Some(&store), Some(content), None, CMSOptions::BINARY)
        .map_err(|e| SignatureError::Verification(first_reason(&e)))?;

    // The signature is good; read who made it (PKCS#7 and CMS SignedData
    // share this structure for issuer-and-serial signer identifiers).
    let p7 = Pkcs7::from_der(signature).map_err(|e| SignatureError::Malformed(first_reason(&e)))?;
    let no_certs = Stack::<X509>::new().map_err(|e| SignatureError::TrustStore(e.to_string()))?;
    let signers = p7
        .signers(&no_certs, Pkcs7Flags::empty())
        .map_err(|e| SignatureError::Verification(first_reason(&e)))?;
    let cert = signers
        .iter()
        .next()
        .ok_or_else(|| SignatureError::Verification("no signer certificate".into()))?;
    Ok(describe(cert))
}

/// Signs `content` with `key` (PEM private key) and `cert` (PEM signer
/// certificate), with `chain` (PEM intermediates, may be empty) carried in
/// the signature: a detached DER CMS SignedData with signed attributes and
/// SHA-256, as RFC 8520 §13 asks and `openssl cms -sign -binary -outform
/// DER` makes. The signature passes the same algorithm allow-list as
/// [`verify`] before it is returned: warden signs nothing it would refuse.
pub fn sign(
    content: &[u8],
    key: &[u8],
    cert: &[u8],
    chain: &[u8],
) -> Result<Vec<u8>, SignatureError> {
    let err = |what: &str, e: openssl::error::ErrorStack| {
        SignatureError::Signing(format!("{what}: {}", first_reason(&e)))
    };
    let pkey = openssl::pkey::PKey::private_key_from_pem(key).map_err(|e| err("the key", e))?;
    let cert = X509::from_pem(cert).map_err(|e| err("the certificate", e))?;
    let public = cert
        .public_key()
        .map_err(|e| err("the certificate's key", e))?;
    if !public.public_eq(&pkey) {
        return Err(SignatureError::Signing(
            "the key is not the certificate's (its public key differs)".into(),
        ));
    }
    let mut extra = Stack::<X509>::new().map_err(|e| err("the chain", e))?;
    if !chain.is_empty() {
        for c in X509::stack_from_pem(chain).map_err(|e| err("the chain", e))? {
            extra.push(c).map_err(|e| err("the chain", e))?;
        }
    }
    let cms = CmsContentInfo::sign(
        Some(&cert),
        Some(&pkey),
        Some(&extra),
        Some(content),
        CMSOptions::DETACHED | CMSOptions::BINARY,
    )
    .map_err(|e| err("signing", e))?;
    let der = cms.to_der().map_err(|e| err("encoding", e))?;
    algorithms::check(&der).map_err(|e| SignatureError::Signing(e.to_string()))?;
    Ok(der)
}

fn describe(c: &X509Ref) -> Signer {
    Signer {
        subject: name(c.subject_name()),
        issuer: name(c.issuer_name()),
        serial: c
            .serial_number()
            .to_bn()
            .and_then(|b| b.to_hex_str().map(|s| s.to_string()))
            .unwrap_or_default(),
        not_before: c.not_before().to_string(),
        not_after: c.not_after().to_string(),
    }
}

#[allow(deprecated)] // as_utf8 is the conversion openssl 0.10 offers for X509 name entries
fn name(n: &openssl::x509::X509NameRef) -> String {
    n.entries()
        .map(|e| {
            let key = e.object().nid().short_name().unwrap_or("?");
            let val = e
                .data()
                .as_utf8()
                .map(|s| s.to_string())
                .unwrap_or_default();
            format!("{key}={val}")
        })
        .collect::<Vec<_>>()
        .join(", ")
}

fn first_reason(e: &openssl::error::ErrorStack) -> String {
    let reasons: Vec<String> = e
        .errors()
        .iter()
        .map(|x| {
            let r = x.reason().unwrap_or("unknown reason");
            match x.data() {
                Some(d) if !d.is_empty() => format!("{r} ({d})"),
                _ => r.to_string(),
            }
        })
        .collect();
    if reasons.is_empty() {
        "unknown OpenSSL error".into()
    } else {
        reasons.join("; ")
    }
}
