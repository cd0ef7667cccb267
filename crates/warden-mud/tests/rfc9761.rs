//! RFC 9761 (D)TLS client profiles in MUD files: the RFC's example, as
//! printed (with its errata) and corrected, and profiles that break the
//! RFC's rules.

use warden_mud::{load, resolve, Check, Context, TlsVersion, ValidateOptions};

fn data(name: &str) -> Vec<u8> {
    std::fs::read(format!(
        "{}/tests/data/rfc9761/{name}",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap()
}

#[test]
fn the_corrected_example_is_strict_mud_and_keeps_its_profile() {
    let v = load(&data("corrected.json"), &ValidateOptions::default()).unwrap();
    assert!(v.warnings.is_empty(), "{:?}", v.warnings);
    assert!(v.mud.meta().tls_profile_supported);
    let ace = &v.mud.acls()[0].aces[0];
    let t = &ace.matches.tls_profiles;
    assert_eq!(t.len(), 1);
    assert_eq!(t[0].name, "profile1");
    assert_eq!(t[0].versions, [TlsVersion::Tls13]);
    assert_eq!(t[0].cipher_suites, [0x1301, 0x1302]);
    assert_eq!(t[0].extension_types, [10, 11, 13, 16, 24]);
    assert_eq!(t[0].supported_groups, [29]);
    assert_eq!(
        t[0].pointer,
        "/ietf-access-control-list:acls/acl/0/aces/ace/0/matches/ietf-acl-tls:client-profiles/tls-dtls-profile/0"
    );
    // The rule that lets the device open TCP/443 carries the profile.
    let p = resolve(&v.mud, &Context::default());
    assert_eq!(p.rules().len(), 1);
    assert_eq!(p.rules()[0].tls_profiles, *t);
    let said = warden_mud::explain(&v.mud).join(" ");
    assert!(
        said.contains("using only TLS 1.3 with 2 cipher suites as its maker declares (TLS profile `profile1`)"),
        "{said}"
    );
}

#[test]
fn the_example_as_printed_fails_strict_at_each_erratum_and_passes_legacy() {
    let bytes = data("as-printed.json");
    let warden_mud::MudError::Invalid { errors: diags, .. } =
        load(&bytes, &ValidateOptions::default()).unwrap_err()
    else {
        unreachable!()
    };
    let pointers: Vec<&str> = diags.iter().map(|d| d.pointer.as_str()).collect();
    let ace = "/ietf-mud:mud/ietf-access-control-list:acls/acl/0/aces/ace/0";
    for want in [
        "/ietf-mud:mud/ietf-mud-tls:is-tls-dtls-profile-supported".to_string(),
        "/ietf-mud:mud/ietf-access-control-list:acls".to_string(),
        format!("{ace}/matches/actions"),
        format!("{ace}/matches/ietf-acl-tls:client-profile"),
        format!("{ace}/matches/ietf-acl-tls:client-profile/tls-dtls-profiles"),
        format!(
            "{ace}/matches/ietf-acl-tls:client-profile/tls-dtls-profiles/0/supported-tls-versions"
        ),
        format!("{ace}/matches/ietf-acl-tls:client-profile/tls-dtls-profiles/0/extension-types"),
        format!("{ace}/matches/ietf-acl-tls:client-profile/tls-dtls-profiles/0/supported-groups"),
    ] {
        assert!(
            pointers.contains(&want.as_str()),
            "no error at {want}: {pointers:#?}"
        );
    }
    assert_eq!(diags.len(), 8, "{diags:#?}");

    // The legacy dialect reads it, warns at the same places, and finds
    // the same profile as the corrected file.
    let legacy = load(&bytes, &ValidateOptions::legacy()).unwrap();
    assert_eq!(legacy.warnings.len(), 8, "{:#?}", legacy.warnings);
    let corrected = load(&data("corrected.json"), &ValidateOptions::default()).unwrap();
    let (a, b) = (
        &legacy.mud.acls()[0].aces[0],
        &corrected.mud.acls()[0].aces[0],
    );
    assert_eq!(a.action, b.action);
    let strip = |t: &warden_mud::TlsProfile| warden_mud::TlsProfile {
        pointer: String::new(),
        ..t.clone()
    };
    assert_eq!(
        strip(&a.matches.tls_profiles[0]),
        strip(&b.matches.tls_profiles[0])
    );
    assert!(legacy.mud.meta().tls_profile_supported);
}

fn with_profile(l4: &str, profile: &str) -> String {
    format!(
        r#"{{"ietf-mud:mud": {{"mud-version": 1, "mud-url": "https://example.com/cam",
  "last-update": "2025-01-01T00:00:00Z", "is-supported": true, "extensions": ["ietf-mud-tls"],
  "from-device-policy": {{"access-lists": {{"access-list": [{{"name": "a"}}]}}}}}},
 "ietf-access-control-list:acls": {{"acl": [{{"name": "a", "type": "ipv4-acl-type",
  "aces": {{"ace": [{{"name": "e", "matches": {{"ipv4": {{"protocol": {proto}}}, {l4},
   "ietf-acl-tls:client-profiles": {{"tls-dtls-profile": [{profile}]}}}},
   "actions": {{"forwarding": "accept"}}}}]}}}}]}}}}"#,
        proto = if l4.starts_with("\"udp\"") { 17 } else { 6 },
    )
}

const TCP443: &str = r#""tcp": {"destination-port": {"operator": "eq", "port": 443}}"#;
const UDP5684: &str = r#""udp": {"destination-port": {"operator": "eq", "port": 5684}}"#;

fn checks(doc: &str) -> Vec<(Check, String)> {
    match load(doc.as_bytes(), &ValidateOptions::default()) {
        Ok(_) => Vec::new(),
        Err(warden_mud::MudError::Invalid { errors, .. }) => errors
            .iter()
            .map(|d| (d.check, d.pointer.clone()))
            .collect(),
        Err(e) => panic!("{e}"),
    }
}

#[test]
fn grease_wrong_versions_and_transports_are_refused_with_their_place() {
    let p = "/ietf-access-control-list:acls/acl/0/aces/ace/0/matches/ietf-acl-tls:client-profiles/tls-dtls-profile/0";
    // GREASE in a profile (RFC 9761 §5 forbids it).
    let c = checks(&with_profile(
        TCP443,
        r#"{"name": "p", "cipher-suite": [4865, 2570]}"#,
    ));
    assert_eq!(c, [(Check::TlsProfile, format!("{p}/cipher-suite/1"))]);
    let c = checks(&with_profile(
        TCP443,
        r#"{"name": "p", "psk-key-exchange-mode": [1, 11]}"#,
    ));
    assert_eq!(
        c,
        [(Check::TlsProfile, format!("{p}/psk-key-exchange-mode/1"))]
    );
    // A DTLS version in the TLS list, and an unknown one.
    let c = checks(&with_profile(
        TCP443,
        r#"{"name": "p", "supported-tls-version": ["dtls12", "tls11"]}"#,
    ));
    assert_eq!(
        c,
        [
            (Check::Range, format!("{p}/supported-tls-version/0")),
            (Check::Range, format!("{p}/supported-tls-version/1"))
        ]
    );
    // TLS on a UDP match; DTLS on a TCP match.
    let c = checks(&with_profile(
        UDP5684,
        r#"{"name": "p", "supported-tls-version": ["tls13"]}"#,
    ));
    assert_eq!(c, [(Check::TlsProfile, p.to_string())]);
    let c = checks(&with_profile(
        TCP443,
        r#"{"name": "p", "supported-dtls-version": ["dtls13"]}"#,
    ));
    assert_eq!(c, [(Check::TlsProfile, p.to_string())]);
    // Out of range, and two profiles with one name.
    let c = checks(&with_profile(
        TCP443,
        r#"{"name": "p", "supported-group": [65536]}"#,
    ));
    assert_eq!(c, [(Check::Range, format!("{p}/supported-group/0"))]);
    let c = checks(&with_profile(TCP443, r#"{"name": "p"}, {"name": "p"}"#));
    assert_eq!(c.len(), 1);
    // A DTLS profile on UDP is fine; so is every member of the module.
    let ok = with_profile(
        UDP5684,
        r#"{"name": "coap", "supported-dtls-version": ["dtls12", "dtls13"], "cipher-suite": [49326],
            "extension-type": [10, 13], "supported-group": [23], "signature-algorithm": [1027],
            "signature-algorithm-cert": [1027], "psk-key-exchange-mode": [1],
            "application-protocol": ["coap"], "cert-compression-algorithm": [1],
            "accept-list-ta-cert": ["MIIB"], "certificate-authorities": ["CN=Maker CA"]}"#,
    );
    let v = load(ok.as_bytes(), &ValidateOptions::default()).unwrap();
    let t = &v.mud.acls()[0].aces[0].matches.tls_profiles[0];
    assert_eq!(t.versions, [TlsVersion::Dtls12, TlsVersion::Dtls13]);
    assert_eq!(
        t.not_observable,
        ["accept-list-ta-cert", "certificate-authorities"]
    );
}
