//! RFC 8520 §13 signatures: the real Cisco vector from the corpus, and
//! certificates made here (RSA and ECDSA) for the failure cases.

use crate::common;

use openssl::asn1::Asn1Time;
use openssl::bn::BigNum;
use openssl::ec::{EcGroup, EcKey};
use openssl::hash::MessageDigest;
use openssl::nid::Nid;
use openssl::pkcs7::{Pkcs7, Pkcs7Flags};
use openssl::pkey::{PKey, Private};
use openssl::rsa::Rsa;
use openssl::stack::Stack;
use openssl::x509::extension::{BasicConstraints, KeyUsage};
use openssl::x509::{X509Name, X509};
use warden_mud::error::SignatureError;
use warden_mud::signature::{verify, TrustStore};

const T_2019: i64 = 1_546_300_800; // 2019-01-01T00:00:00Z
const T_2026: i64 = 1_795_564_800; // 2026-11-25T00:00:00Z

fn luminaire() -> (Vec<u8>, Vec<u8>, TrustStore) {
    let d = common::corpus().join("mud/cisco-mud-manager/examples/luminaire");
    (
        std::fs::read(d.join("fs/Luminaire_150.json")).unwrap(),
        std::fs::read(d.join("fs/Luminaire_150.p7s")).unwrap(),
        TrustStore::from_pem(&std::fs::read(d.join("luminaire-cacert.pem")).unwrap()).unwrap(),
    )
}

#[test]
fn cisco_vector_verifies_at_2019_and_names_its_signer() {
    let (json, sig, trust) = luminaire();
    let s = verify(&json, &sig, &trust, T_2019).unwrap();
    assert!(
        s.subject.contains("CN=luminaire.example.com"),
        "{}",
        s.subject
    );
    assert!(
        s.issuer.contains("Demo Luminaire Manufacturer"),
        "{}",
        s.issuer
    );
}

#[test]
fn cisco_vector_fails_today_because_its_ca_expired() {
    let (json, sig, trust) = luminaire();
    match verify(&json, &sig, &trust, T_2026) {
        Err(SignatureError::Verification(r)) => assert!(r.contains("expired"), "{r}"),
        other => panic!("expected an expiry failure, got {other:?}"),
    }
}

#[test]
fn cisco_vector_fails_when_one_byte_of_the_file_changes() {
    let (mut json, sig, trust) = luminaire();
    let i = json.iter().position(|b| *b == b'1').unwrap();
    json[i] = b'2';
    assert!(matches!(
        verify(&json, &sig, &trust, T_2019),
        Err(SignatureError::Verification(_))
    ));
    let (mut json, ..) = luminaire();
    json.push(b' ');
    assert!(matches!(
        verify(&json, &sig, &trust, T_2019),
        Err(SignatureError::Verification(_))
    ));
}

#[test]
fn garbage_signature_is_malformed_not_a_panic() {
    let (json, sig, trust) = luminaire();
    for cut in [0, 1, 10, sig.len() / 2, sig.len() - 1] {
        assert!(verify(&json, &sig[..cut], &trust, T_2019).is_err());
    }
    assert!(matches!(
        verify(&json, b"not der at all", &trust, T_2019),
        Err(SignatureError::Malformed(_))
    ));
}

enum Alg {
    Rsa,
    Ecdsa,
}

fn key(alg: &Alg) -> PKey<Private> {
    match alg {
        Alg::Rsa => PKey::from_rsa(Rsa::generate(2048).unwrap()).unwrap(),
        Alg::Ecdsa => {
            let g = EcGroup::from_curve_name(Nid::X9_62_PRIME256V1).unwrap();
            PKey::from_ec_key(EcKey::generate(&g).unwrap()).unwrap()
        }
    }
}

/// Makes a certificate for `cn`, signed by `issuer` (or self-signed), valid
/// from 2024-01-01 for ten years.
fn cert(
    cn: &str,
    k: &PKey<Private>,
    issuer: Option<(&X509, &PKey<Private>)>,
    ca: bool,
    serial: u32,
) -> X509 {
    let mut name = X509Name::builder().unwrap();
    name.append_entry_by_nid(Nid::COMMONNAME, cn).unwrap();
    let name = name.build();
    let mut b = X509::builder().unwrap();
    b.set_version(2).unwrap();
    b.set_serial_number(&BigNum::from_u32(serial).unwrap().to_asn1_integer().unwrap())
        .unwrap();
    b.set_subject_name(&name).unwrap();
    b.set_issuer_name(issuer.map(|(c, _)| c.subject_name()).unwrap_or(&name))
        .unwrap();
    b.set_pubkey(k).unwrap();
    b.set_not_before(&Asn1Time::from_unix(1_704_067_200).unwrap())
        .unwrap();
    b.set_not_after(&Asn1Time::from_unix(1_704_067_200 + 10 * 365 * 86_400).unwrap())
        .unwrap();
    if ca {
        b.append_extension(BasicConstraints::new().critical().ca().build().unwrap())
            .unwrap();
        b.append_extension(
            KeyUsage::new()
                .critical()
                .key_cert_sign()
                .crl_sign()
                .build()
                .unwrap(),
        )
        .unwrap();
    } else {
        b.append_extension(BasicConstraints::new().critical().build().unwrap())
            .unwrap();
        b.append_extension(
            KeyUsage::new()
                .critical()
                .digital_signature()
                .build()
                .unwrap(),
        )
        .unwrap();
    }
    b.sign(issuer.map(|(_, k)| k).unwrap_or(k), MessageDigest::sha256())
        .unwrap();
    b.build()
}

struct Pki {
    root: X509,
    leaf: X509,
    leaf_key: PKey<Private>,
}

fn pki(alg: Alg) -> Pki {
    let root_key = key(&alg);
    let root = cert("warden test root", &root_key, None, true, 1);
    let leaf_key = key(&alg);
    let leaf = cert(
        "mud-signer.example.com",
        &leaf_key,
        Some((&root, &root_key)),
        false,
        2,
    );
    Pki {
        root,
        leaf,
        leaf_key,
    }
}

fn sign(p: &Pki, content: &[u8]) -> Vec<u8> {
    let certs = Stack::new().unwrap();
    Pkcs7::sign(
        &p.leaf,
        &p.leaf_key,
        &certs,
        content,
        Pkcs7Flags::DETACHED | Pkcs7Flags::BINARY,
    )
    .unwrap()
    .to_der()
    .unwrap()
}

fn trust(c: &X509) -> TrustStore {
    TrustStore::from_pem(&c.to_pem().unwrap()).unwrap()
}

const MUD: &[u8] = br#"{"ietf-mud:mud": {"mud-version": 1, "mud-url": "https://example.com/x", "last-update": "2024-05-01T00:00:00Z", "is-supported": true}}"#;

#[test]
fn rsa_and_ecdsa_signatures_verify_against_their_root() {
    for alg in [Alg::Rsa, Alg::Ecdsa] {
        let p = pki(alg);
        let s = verify(MUD, &sign(&p, MUD), &trust(&p.root), T_2026).unwrap();
        assert!(s.subject.contains("mud-signer.example.com"));
    }
}

#[test]
fn signature_fails_against_a_wrong_root() {
    let p = pki(Alg::Ecdsa);
    let other = pki(Alg::Ecdsa);
    assert!(matches!(
        verify(MUD, &sign(&p, MUD), &trust(&other.root), T_2026),
        Err(SignatureError::Verification(_))
    ));
}

#[test]
fn a_leaf_in_the_trust_store_is_not_a_root() {
    let p = pki(Alg::Rsa);
    assert!(matches!(
        verify(MUD, &sign(&p, MUD), &trust(&p.leaf), T_2026),
        Err(SignatureError::Verification(_))
    ));
}

#[test]
fn tampered_file_fails() {
    let p = pki(Alg::Rsa);
    let sig = sign(&p, MUD);
    let mut bad = MUD.to_vec();
    bad[20] ^= 1;
    assert!(matches!(
        verify(&bad, &sig, &trust(&p.root), T_2026),
        Err(SignatureError::Verification(_))
    ));
}

#[test]
fn signature_checked_before_the_certificate_is_valid_fails() {
    let p = pki(Alg::Ecdsa);
    assert!(matches!(
        verify(MUD, &sign(&p, MUD), &trust(&p.root), T_2019),
        Err(SignatureError::Verification(_))
    ));
}

#[test]
fn a_leaf_signed_by_a_non_ca_is_refused() {
    // root -> intermediate without CA:TRUE -> leaf: the chain must fail.
    let root_key = key(&Alg::Ecdsa);
    let root = cert("root", &root_key, None, true, 1);
    let mid_key = key(&Alg::Ecdsa);
    let mid = cert("not a ca", &mid_key, Some((&root, &root_key)), false, 2);
    let leaf_key = key(&Alg::Ecdsa);
    let leaf = cert("signer", &leaf_key, Some((&mid, &mid_key)), false, 3);
    let mut certs = Stack::new().unwrap();
    certs.push(mid).unwrap();
    let sig = Pkcs7::sign(
        &leaf,
        &leaf_key,
        &certs,
        MUD,
        Pkcs7Flags::DETACHED | Pkcs7Flags::BINARY,
    )
    .unwrap()
    .to_der()
    .unwrap();
    assert!(matches!(
        verify(MUD, &sig, &trust(&root), T_2026),
        Err(SignatureError::Verification(_))
    ));
}

#[test]
fn pem_armoured_signature_is_accepted() {
    let p = pki(Alg::Rsa);
    let certs = Stack::new().unwrap();
    let pem = Pkcs7::sign(
        &p.leaf,
        &p.leaf_key,
        &certs,
        MUD,
        Pkcs7Flags::DETACHED | Pkcs7Flags::BINARY,
    )
    .unwrap()
    .to_pem()
    .unwrap();
    assert!(pem.starts_with(b"-----BEGIN PKCS7-----"));
    let s = verify(MUD, &pem, &trust(&p.root), T_2026).unwrap();
    assert!(s.subject.contains("mud-signer.example.com"));
}

/// Runs a command in `dir`, returning its exit code and output.
fn run_in(dir: &std::path::Path, program: &str, args: &[&str]) -> (i32, String) {
    let o = std::process::Command::new(program)
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
    (o.status.code().unwrap_or(-1), text)
}

/// A maker's root (ca.pem) and signing certificate (signer.pem, signer.key)
/// in a new directory, made with the openssl tool.
fn maker_pki(tag: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("warden-{tag}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let ossl = |args: &[&str]| {
        let (code, out) = run_in(&dir, "openssl", args);
        assert_eq!(code, 0, "openssl {args:?}: {out}");
    };
    ossl(&[
        "req",
        "-x509",
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:P-256",
        "-nodes",
        "-keyout",
        "ca.key",
        "-out",
        "ca.pem",
        "-days",
        "30",
        "-subj",
        "/CN=Example Maker Root",
    ]);
    ossl(&[
        "req",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-keyout",
        "signer.key",
        "-out",
        "signer.csr",
        "-subj",
        "/CN=Example Maker MUD signer",
    ]);
    ossl(&[
        "x509",
        "-req",
        "-in",
        "signer.csr",
        "-CA",
        "ca.pem",
        "-CAkey",
        "ca.key",
        "-CAcreateserial",
        "-out",
        "signer.pem",
        "-days",
        "20",
    ]);
    dir
}

#[test]
fn mud_sign_makes_what_mud_verify_and_openssl_cms_accept() {
    let dir = maker_pki("sign");
    std::fs::copy(
        common::repo().join("samples/mud/Luminaire_150.json"),
        dir.join("lum.json"),
    )
    .unwrap();
    let warden = env!("CARGO_BIN_EXE_warden");

    let (code, out) = run_in(
        &dir,
        warden,
        &[
            "mud",
            "sign",
            "lum.json",
            "--key",
            "signer.key",
            "--cert",
            "signer.pem",
        ],
    );
    assert_eq!(code, 0, "{out}");
    assert!(
        dir.join("lum.p7s").is_file(),
        "the signature goes beside the file, as .p7s"
    );

    let (code, out) = run_in(
        &dir,
        warden,
        &[
            "mud",
            "verify",
            "lum.json",
            "--signature",
            "lum.p7s",
            "--trust",
            "ca.pem",
        ],
    );
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("CN=Example Maker MUD signer"), "{out}");
    // The reference implementation of CMS agrees.
    let (code, out) = run_in(
        &dir,
        "openssl",
        &[
            "cms",
            "-verify",
            "-binary",
            "-inform",
            "DER",
            "-in",
            "lum.p7s",
            "-content",
            "lum.json",
            "-CAfile",
            "ca.pem",
            "-purpose",
            "any",
            "-out",
            "/dev/null",
        ],
    );
    assert_eq!(code, 0, "openssl cms -verify: {out}");

    // One byte changed in the file: the signature no longer holds.
    let mut json = std::fs::read(dir.join("lum.json")).unwrap();
    let at = json.iter().position(|b| *b == b'1').unwrap();
    json[at] = b'2';
    std::fs::write(dir.join("changed.json"), &json).unwrap();
    let (code, out) = run_in(
        &dir,
        warden,
        &[
            "mud",
            "verify",
            "changed.json",
            "--signature",
            "lum.p7s",
            "--trust",
            "ca.pem",
        ],
    );
    assert_eq!(code, 1, "{out}");

    // The wrong key for the certificate, and a file that is not MUD, are refused.
    let (code, out) = run_in(
        &dir,
        warden,
        &[
            "mud",
            "sign",
            "lum.json",
            "--key",
            "ca.key",
            "--cert",
            "signer.pem",
            "--out",
            "x.p7s",
        ],
    );
    assert_eq!(code, 2, "{out}");
    assert!(out.contains("not the certificate's"), "{out}");
    std::fs::write(dir.join("bad.json"), "{}").unwrap();
    let (code, out) = run_in(
        &dir,
        warden,
        &[
            "mud",
            "sign",
            "bad.json",
            "--key",
            "signer.key",
            "--cert",
            "signer.pem",
        ],
    );
    assert_eq!(code, 2, "{out}");
    assert!(
        out.contains("not signed") && !dir.join("bad.p7s").exists(),
        "{out}"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_traffic_profile_becomes_a_signed_makers_file_that_validates_strictly() {
    // warden profile -> warden mud new (the maker's details, RFC 9472
    // locations) -> warden mud sign -> warden mud verify and validate.
    let dir = maker_pki("new");
    let warden = env!("CARGO_BIN_EXE_warden");
    let cap = common::corpus().join("pcap/iot-sentinel/TP-LinkPlugHS110/Setup-A-1-STA.pcap");
    let o = std::process::Command::new(warden)
        .args([
            "profile",
            cap.to_str().unwrap(),
            "--device",
            "50:c7:bf:00:c7:03",
        ])
        .output()
        .unwrap();
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    std::fs::write(dir.join("profile.json"), &o.stdout).unwrap();
    let (code, out) = run_in(
        &dir,
        warden,
        &[
            "mud",
            "new",
            "profile.json",
            "--mud-url",
            "https://mud.example/plug.json",
            "--mfg-name",
            "TP-Link",
            "--model-name",
            "HS110",
            "--documentation",
            "https://example.com/hs110",
            "--sbom-url",
            "https://mud.example/plug-sbom.json",
            "--vuln-url",
            "https://mud.example/plug-csaf.json",
            "--last-update",
            "2026-12-04T00:00:00Z",
            "--out",
            "plug.json",
        ],
    );
    assert_eq!(code, 0, "{out}");
    let made: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.join("plug.json")).unwrap()).unwrap();
    let profile: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.join("profile.json")).unwrap()).unwrap();
    let m = &made["ietf-mud:mud"];
    assert_eq!(m["mud-signature"], "https://mud.example/plug.p7s");
    assert_eq!(m["model-name"], "HS110");
    assert_eq!(
        m["ietf-mud-transparency:transparency"]["vuln-url"][0],
        "https://mud.example/plug-csaf.json"
    );
    // The profile's access lists are the file's, unchanged.
    assert_eq!(
        made["ietf-access-control-list:acls"],
        profile["ietf-access-control-list:acls"]
    );
    assert_eq!(
        m["from-device-policy"],
        profile["ietf-mud:mud"]["from-device-policy"]
    );

    let (code, out) = run_in(
        &dir,
        warden,
        &[
            "mud",
            "sign",
            "plug.json",
            "--key",
            "signer.key",
            "--cert",
            "signer.pem",
        ],
    );
    assert_eq!(code, 0, "{out}");
    let (code, out) = run_in(
        &dir,
        warden,
        &[
            "mud",
            "verify",
            "plug.json",
            "--signature",
            "plug.p7s",
            "--trust",
            "ca.pem",
        ],
    );
    assert_eq!(code, 0, "{out}");
    let (code, out) = run_in(&dir, warden, &["mud", "validate", "plug.json"]);
    assert_eq!(code, 0, "strict validation: {out}");

    // A plain-HTTP URL is refused, with the key named.
    let (code, out) = run_in(
        &dir,
        warden,
        &[
            "mud",
            "new",
            "profile.json",
            "--mud-url",
            "http://mud.example/plug.json",
            "--mfg-name",
            "TP-Link",
            "--model-name",
            "HS110",
        ],
    );
    assert_eq!(code, 2, "{out}");
    assert!(out.contains("mud-url"), "{out}");
    std::fs::remove_dir_all(&dir).unwrap();
}
