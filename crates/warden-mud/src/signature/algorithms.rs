//! What a MUD signature may be made of, checked in pure Rust before OpenSSL
//! sees a byte of it.
//!
//! Anyone on the LAN can make the gateway fetch and verify a signature, so
//! the structure is read first with the RustCrypto `cms` crate (strict DER)
//! and refused unless every algorithm in it is one that RFC 8520 signers use:
//! SHA-2 digests, RSA (2048 to 8192 bits) with SHA-2, ECDSA on P-256, P-384
//! or P-521 with SHA-2, and Ed25519. OpenSSL 3.0 leaks memory on some
//! signatures that name unknown algorithms (272 bytes per call, found by the
//! `mud_signature` fuzz target); such inputs now never reach it.

use crate::error::SignatureError;
use cms::cert::CertificateChoices;
use cms::content_info::ContentInfo;
use cms::signed_data::SignedData;
use der::asn1::ObjectIdentifier as Oid;
use der::{Decode, Encode, Tagged};
use spki::AlgorithmIdentifierOwned;

const SIGNED_DATA: Oid = Oid::new_unwrap("1.2.840.113549.1.7.2");

const SHA256: Oid = Oid::new_unwrap("2.16.840.1.101.3.4.2.1");
const SHA384: Oid = Oid::new_unwrap("2.16.840.1.101.3.4.2.2");
const SHA512: Oid = Oid::new_unwrap("2.16.840.1.101.3.4.2.3");

const RSA: Oid = Oid::new_unwrap("1.2.840.113549.1.1.1");
const RSA_SHA256: Oid = Oid::new_unwrap("1.2.840.113549.1.1.11");
const RSA_SHA384: Oid = Oid::new_unwrap("1.2.840.113549.1.1.12");
const RSA_SHA512: Oid = Oid::new_unwrap("1.2.840.113549.1.1.13");
const EC_PUBLIC_KEY: Oid = Oid::new_unwrap("1.2.840.10045.2.1");
const ECDSA_SHA256: Oid = Oid::new_unwrap("1.2.840.10045.4.3.2");
const ECDSA_SHA384: Oid = Oid::new_unwrap("1.2.840.10045.4.3.3");
const ECDSA_SHA512: Oid = Oid::new_unwrap("1.2.840.10045.4.3.4");
const ED25519: Oid = Oid::new_unwrap("1.3.101.112");

const P256: Oid = Oid::new_unwrap("1.2.840.10045.3.1.7");
const P384: Oid = Oid::new_unwrap("1.3.132.0.34");
const P521: Oid = Oid::new_unwrap("1.3.132.0.35");

/// More signers or certificates than this is not a MUD signature.
const MAX_SIGNERS: usize = 4;
const MAX_CERTIFICATES: usize = 16;

fn malformed(what: String) -> SignatureError {
    SignatureError::Malformed(what)
}

fn refused(what: String) -> SignatureError {
    SignatureError::Algorithm(what)
}

/// Parameters of a digest algorithm must be absent or NULL.
fn params_absent_or_null(a: &AlgorithmIdentifierOwned) -> bool {
    match &a.parameters {
        None => true,
        Some(p) => p.tag() == der::Tag::Null && p.value().is_empty(),
    }
}

fn check_digest(a: &AlgorithmIdentifierOwned, place: &str) -> Result<(), SignatureError> {
    if ![SHA256, SHA384, SHA512].contains(&a.oid) {
        return Err(refused(format!(
            "{place}: digest algorithm {} is not SHA-256, SHA-384 or SHA-512",
            a.oid
        )));
    }
    if !params_absent_or_null(a) {
        return Err(refused(format!(
            "{place}: digest algorithm {} has parameters",
            a.oid
        )));
    }
    Ok(())
}

fn check_signature_alg(a: &AlgorithmIdentifierOwned, place: &str) -> Result<(), SignatureError> {
    let ok = match a.oid {
        // RSA PKCS#1 v1.5: parameters NULL (or, in the wild, absent).
        o if [RSA, RSA_SHA256, RSA_SHA384, RSA_SHA512].contains(&o) => params_absent_or_null(a),
        // ECDSA and Ed25519: parameters absent (RFC 5758, RFC 8410).
        o if [ECDSA_SHA256, ECDSA_SHA384, ECDSA_SHA512, ED25519].contains(&o) => {
            a.parameters.is_none()
        }
        _ => false,
    };
    if ok {
        Ok(())
    } else {
        Err(refused(format!(
            "{place}: signature algorithm {} is not one MUD signers use \
             (RSA, ECDSA or Ed25519 with SHA-2)",
            a.oid
        )))
    }
}

/// The certificate's key: RSA 2048..=8192 bits, EC on P-256/384/521, Ed25519.
fn check_key(spki: &spki::SubjectPublicKeyInfoOwned, place: &str) -> Result<(), SignatureError> {
    let alg = &spki.algorithm;
    if alg.oid == RSA {
        let key = spki.subject_public_key.raw_bytes();
        let bits = rsa_modulus_bits(key)
            .ok_or_else(|| malformed(format!("{place}: the RSA public key is not DER")))?;
        if !(2048..=8192).contains(&bits) {
            return Err(refused(format!(
                "{place}: an RSA key of {bits} bits (2048 to 8192 are accepted)"
            )));
        }
        return Ok(());
    }
    if alg.oid == EC_PUBLIC_KEY {
        let curve = alg
            .parameters
            .as_ref()
            .and_then(|p| p.decode_as::<Oid>().ok());
        return match curve {
            Some(c) if [P256, P384, P521].contains(&c) => Ok(()),
            Some(c) => Err(refused(format!(
                "{place}: elliptic curve {c} is not P-256, P-384 or P-521"
            ))),
            None => Err(refused(format!("{place}: an EC key without a named curve"))),
        };
    }
    if alg.oid == ED25519 && alg.parameters.is_none() {
        return Ok(());
    }
    Err(refused(format!(
        "{place}: public key algorithm {} is not RSA, EC or Ed25519",
        alg.oid
    )))
}

/// The bit length of an RSAPublicKey's modulus (SEQUENCE { INTEGER n, INTEGER e }).
fn rsa_modulus_bits(der_key: &[u8]) -> Option<usize> {
    #[derive(der::Sequence)]
    struct RsaPublicKey<'a> {
        modulus: der::asn1::UintRef<'a>,
        _exponent: der::asn1::UintRef<'a>,
    }
    let k = RsaPublicKey::from_der(der_key).ok()?;
    let m = k.modulus.as_bytes();
    let first = *m.first()?;
    Some(m.len() * 8 - first.leading_zeros() as usize)
}

/// Reads the structure of a detached signature and refuses it unless every
/// algorithm and key in it is on the allow-list. Returns nothing: the
/// cryptography stays OpenSSL's.
pub fn check(signature_der: &[u8]) -> Result<(), SignatureError> {
    let ci =
        ContentInfo::from_der(signature_der).map_err(|e| malformed(format!("ContentInfo: {e}")))?;
    if ci.content_type != SIGNED_DATA {
        return Err(malformed(format!(
            "content type {} is not SignedData",
            ci.content_type
        )));
    }
    let inner = ci
        .content
        .to_der()
        .map_err(|e| malformed(format!("SignedData: {e}")))?;
    let sd = SignedData::from_der(&inner).map_err(|e| malformed(format!("SignedData: {e}")))?;
    if sd.encap_content_info.econtent.is_some() {
        return Err(malformed(
            "the signature carries content: a MUD signature is detached".into(),
        ));
    }
    for (i, a) in sd.digest_algorithms.iter().enumerate() {
        check_digest(a, &format!("digestAlgorithms[{i}]"))?;
    }
    let signers = sd.signer_infos.0.as_slice();
    if signers.is_empty() || signers.len() > MAX_SIGNERS {
        return Err(malformed(format!(
            "{} signer infos (1 to {MAX_SIGNERS} are accepted)",
            signers.len()
        )));
    }
    for (i, s) in signers.iter().enumerate() {
        check_digest(&s.digest_alg, &format!("signerInfos[{i}].digestAlgorithm"))?;
        check_signature_alg(
            &s.signature_algorithm,
            &format!("signerInfos[{i}].signatureAlgorithm"),
        )?;
    }
    if let Some(certs) = &sd.certificates {
        let certs = certs.0.as_slice();
        if certs.len() > MAX_CERTIFICATES {
            return Err(malformed(format!(
                "{} certificates (at most {MAX_CERTIFICATES})",
                certs.len()
            )));
        }
        for (i, c) in certs.iter().enumerate() {
            let place = format!("certificates[{i}]");
            let CertificateChoices::Certificate(c) = c else {
                return Err(refused(format!("{place}: not an X.509 certificate")));
            };
            check_signature_alg(
                &c.signature_algorithm,
                &format!("{place}.signatureAlgorithm"),
            )?;
            if c.tbs_certificate.signature != c.signature_algorithm {
                return Err(malformed(format!(
                    "{place}: the signed and the outer signature algorithms differ"
                )));
            }
            check_key(
                &c.tbs_certificate.subject_public_key_info,
                &format!("{place}.subjectPublicKeyInfo"),
            )?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const SIG: &[u8] = include_bytes!("../../../../samples/mud/Luminaire_150.p7s");

    /// Replaces the first (or the last) occurrence of `needle`.
    fn replace_at(hay: &[u8], needle: &[u8], with: &[u8], last: bool) -> Vec<u8> {
        assert_eq!(needle.len(), with.len());
        let mut w = hay.windows(needle.len());
        let at = if last {
            w.rposition(|w| w == needle)
        } else {
            w.position(|w| w == needle)
        }
        .expect("needle present");
        let mut v = hay.to_vec();
        v[at..at + needle.len()].copy_from_slice(with);
        v
    }

    #[test]
    fn accepts_the_real_ecdsa_p256_sha256_signature() {
        check(SIG).unwrap();
    }

    #[test]
    fn refuses_an_unknown_digest_before_openssl() {
        // sha256's OID ends in 02 01; 02 63 names no algorithm OpenSSL knows.
        let bad = replace_at(
            SIG,
            &[0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01],
            &[0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x63],
            false,
        );
        let e = check(&bad).unwrap_err();
        assert!(
            matches!(e, SignatureError::Algorithm(ref m) if m.contains("digestAlgorithms[0]")),
            "{e}"
        );
    }

    #[test]
    fn refuses_an_unknown_signature_algorithm() {
        // The signer's ecdsa-with-SHA256 (…04 03 02, the last one) → …04 03 09.
        let bad = replace_at(
            SIG,
            &[0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x02],
            &[0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x09],
            true,
        );
        let e = check(&bad).unwrap_err();
        assert!(
            matches!(e, SignatureError::Algorithm(ref m) if m.contains("signerInfos[0]")),
            "{e}"
        );
        // The certificate's: the signed and outer algorithms then differ.
        let bad = replace_at(
            SIG,
            &[0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x02],
            &[0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x09],
            false,
        );
        assert!(check(&bad).is_err());
    }

    #[test]
    fn refuses_garbage_and_truncation_without_panicking() {
        assert!(check(b"").is_err());
        assert!(check(&SIG[..SIG.len() / 2]).is_err());
        assert!(check(&[0x30, 0x84, 0xff, 0xff, 0xff, 0xff]).is_err());
    }

    #[test]
    fn measures_rsa_modulus_bits() {
        // SEQUENCE { INTEGER 0x00 0x80 <127 zero bytes>, INTEGER 65537 }: 1024 bits.
        let mut n = vec![0x00, 0x80];
        n.extend(std::iter::repeat_n(0u8, 127));
        let mut body = vec![0x02, 0x81, n.len() as u8];
        body.extend(&n);
        body.extend([0x02, 0x03, 0x01, 0x00, 0x01]);
        let mut key = vec![0x30, 0x81, body.len() as u8];
        key.extend(body);
        assert_eq!(rsa_modulus_bits(&key), Some(1024));
    }
}
