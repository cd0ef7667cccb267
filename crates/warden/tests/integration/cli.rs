//! The `warden` binary: exit codes, JSON reports, closed pipes.

use crate::common;

use std::process::{Command, Stdio};

fn warden(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_warden"))
        .args(args)
        .current_dir(common::repo())
        .output()
        .unwrap()
}

#[test]
fn validate_exits_0_for_valid_1_for_invalid_2_for_unreadable() {
    assert_eq!(
        warden(&["mud", "validate", "samples/mud/Luminaire_150.json"])
            .status
            .code(),
        Some(0)
    );
    // A legacy file is a finding in strict mode and valid in legacy mode.
    assert_eq!(
        warden(&["mud", "validate", "samples/mud/amazonEchoMud.json"])
            .status
            .code(),
        Some(1)
    );
    assert_eq!(
        warden(&[
            "mud",
            "validate",
            "--legacy",
            "samples/mud/amazonEchoMud.json"
        ])
        .status
        .code(),
        Some(0)
    );
    let o = warden(&["mud", "validate", "no/such/file.json"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("cannot read no/such/file.json"));
    assert_eq!(
        warden(&["mud", "validate", "--no-such-flag"]).status.code(),
        Some(2)
    );
    assert_eq!(warden(&["--help"]).status.code(), Some(0));
}

#[test]
fn help_documents_exit_codes() {
    let o = warden(&["mud", "validate", "--help"]);
    let s = String::from_utf8_lossy(&o.stdout);
    assert!(
        s.contains("Exit codes") && s.contains("2  usage or input error"),
        "{s}"
    );
}

#[test]
fn validate_json_lists_every_error_with_pointer() {
    let bad =
        common::corpus().join("mud/sidn-lua-mud/test/testdata/bad_mudfile_undefineddata1.json");
    let o = warden(&["mud", "validate", "--json", bad.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let e = &v["files"][0]["errors"][0];
    assert_eq!(e["check"], "unknown-leaf");
    assert_eq!(
        e["pointer"],
        "/ietf-access-control-list:acls/acl/0/aces/ace/0/matches/ipv6/extraneous-data"
    );
}

#[test]
fn show_speaks_plainly_and_ends_with_nothing_else() {
    let o = warden(&["mud", "show", "samples/mud/smart-plug-transparency.json"]);
    assert_eq!(o.status.code(), Some(0));
    let s = String::from_utf8_lossy(&o.stdout);
    assert!(
        s.contains("may connect to api.plug.example.com for HTTPS (TCP port 443);"),
        "{s}"
    );
    assert!(
        s.contains("software bill of materials: https://plug.example.com/sbom/"),
        "{s}"
    );
    assert!(s.contains("nothing else"), "{s}");
    let o = warden(&[
        "mud",
        "show",
        "--json",
        "samples/mud/smart-plug-transparency.json",
    ]);
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(
        v["transparency"]["vuln_urls"][0],
        "https://plug.example.com/csaf/sp-2.json"
    );
}

#[test]
fn compile_reports_rules_it_left_out_and_exits_1() {
    // No context: the controller and my-controller rules cannot be bound.
    let o = warden(&[
        "mud",
        "compile",
        "samples/mud/Luminaire_150.json",
        "--device",
        "02:00:00:00:00:01,192.168.1.10",
    ]);
    assert_eq!(o.status.code(), Some(1));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("left out") && err.contains("my-controller"),
        "{err}"
    );
    let o = warden(&[
        "mud",
        "compile",
        "samples/mud/smart-plug-transparency.json",
        "--device",
        "02:00:00:00:00:01,192.168.1.10",
        "--context",
        "samples/context.toml",
        "--format",
        "json",
    ]);
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert!(v["nftables"].as_array().unwrap().len() > 10);
}

#[test]
fn compile_rejects_a_bad_device_and_a_bad_context() {
    let o = warden(&[
        "mud",
        "compile",
        "samples/mud/Luminaire_150.json",
        "--device",
        "nonsense",
    ]);
    assert_eq!(o.status.code(), Some(2));
    let dir = std::env::temp_dir().join(format!("warden-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let ctx = dir.join("bad.toml");
    std::fs::write(&ctx, "local-networks = [\"10.0.0.1/8\"]").unwrap();
    let o = warden(&[
        "mud",
        "compile",
        "samples/mud/Luminaire_150.json",
        "--device",
        "02:00:00:00:00:01",
        "--context",
        ctx.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("local-networks[0]"));
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn verify_exit_codes_follow_the_signature() {
    let args = |at: &str| {
        vec![
            "mud".to_string(),
            "verify".into(),
            "samples/mud/Luminaire_150.json".into(),
            "--signature".into(),
            "samples/mud/Luminaire_150.p7s".into(),
            "--trust".into(),
            "samples/mud/luminaire-cacert.pem".into(),
            "--at".into(),
            at.into(),
            "--json".into(),
        ]
    };
    let run = |a: Vec<String>| {
        Command::new(env!("CARGO_BIN_EXE_warden"))
            .args(a)
            .current_dir(common::repo())
            .output()
            .unwrap()
    };
    let o = run(args("2019-01-01T00:00:00Z"));
    assert_eq!(o.status.code(), Some(0));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert!(v["signer"]["subject"]
        .as_str()
        .unwrap()
        .contains("luminaire.example.com"));
    let o = run(args("2026-11-25T00:00:00Z"));
    assert_eq!(o.status.code(), Some(1));
    let o = run(args("not a time"));
    assert_eq!(o.status.code(), Some(2));
}

#[test]
fn closed_pipe_exits_0() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_warden"))
        .args([
            "mud",
            "compile",
            "--legacy",
            "samples/mud/amazonEchoMud.json",
            "--device",
            "02:00:00:00:00:01,192.168.1.10",
            "--context",
            "samples/context.toml",
            "--format",
            "json",
        ])
        .current_dir(common::repo())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    // Close the read end. The JSON (~100 KB) is larger than a pipe buffer,
    // so warden's write fails with EPIPE whenever the close happens.
    drop(child.stdout.take());
    let st = child.wait().unwrap();
    assert_eq!(st.code(), Some(0), "a closed pipe is not an error: {st:?}");
}

#[test]
fn compile_json_report_names_the_sets_to_fill_and_the_notes() {
    let o = warden(&[
        "mud",
        "compile",
        "samples/mud/Luminaire_150.json",
        "--device",
        "02:00:00:00:00:01,192.168.1.10",
        "--context",
        "samples/context.toml",
        "--json",
    ]);
    assert_eq!(
        o.status.code(),
        Some(1),
        "my-controller for the luminaire is not in the sample context"
    );
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(
        v["name_sets"]["fw-update.luminaire.example.com"]["ipv4"],
        "n0_4"
    );
    assert!(v["notes"][0]["reason"]
        .as_str()
        .unwrap()
        .contains("my-controller"));
    assert!(v["ruleset"]["nftables"].is_array());
}

#[test]
fn gateway_refuses_to_start_with_unsafe_file_modes() {
    use std::os::unix::fs::PermissionsExt;
    let dir = std::env::temp_dir().join(format!("warden-cli-modes-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let state = dir.join("state");
    std::fs::create_dir_all(&state).unwrap();
    let cfg = dir.join("gateway.toml");
    std::fs::write(
        &cfg,
        format!(
            "lan-interfaces = [\"br-none\"]\ngateway-address = \"127.0.0.1\"\nstate-dir = \"{}\"\n\
             api-listen = \"127.0.0.1:0\"\nremediation-listen = \"127.0.0.1:0\"\n",
            state.display()
        ),
    )
    .unwrap();
    // A state directory others may write to.
    std::fs::set_permissions(&state, std::fs::Permissions::from_mode(0o777)).unwrap();
    let o = warden(&["gateway", "--config", cfg.to_str().unwrap()]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(!o.status.success(), "{err}");
    assert!(
        err.contains(state.to_str().unwrap()) && err.contains("0777"),
        "{err}"
    );
    // An API token others may read.
    std::fs::set_permissions(&state, std::fs::Permissions::from_mode(0o700)).unwrap();
    let token = state.join("api-token");
    std::fs::write(&token, "f".repeat(64)).unwrap();
    std::fs::set_permissions(&token, std::fs::Permissions::from_mode(0o644)).unwrap();
    let o = warden(&["gateway", "--config", cfg.to_str().unwrap()]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(!o.status.success(), "{err}");
    assert!(
        err.contains(token.to_str().unwrap()) && err.contains("0644"),
        "{err}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn gateway_refuses_a_bad_configuration_with_the_key_named() {
    let dir = std::env::temp_dir().join(format!("warden-cli-gw-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let cfg = dir.join("gateway.toml");
    std::fs::write(
        &cfg,
        "lan-interfaces = [\"br-lan\"]\ngateway-address = \"192.168.1.1\"\nstate-dir = \"/tmp/x\"\napi-listen = \"192.168.1.1:8443\"\nremediation-listen = \"192.168.1.1:8080\"\nunknwon-devices = \"block\"\n",
    )
    .unwrap();
    let o = warden(&["gateway", "--config", cfg.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("unknwon-devices"), "{err}");
    // A plain http MUD URL is refused by `mud fetch` before any packet.
    let o = warden(&["mud", "fetch", "http://198.51.100.1/x.json"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&o.stdout).contains("only https URLs are fetched"));
    // Special-purpose addresses of IANA's registries, refused before any
    // packet (issue 11's list among them).
    for host in [
        "[::10.0.0.1]",
        "[64:ff9b::a00:1]",
        "[fec0::1]",
        "192.0.0.8",
        "198.18.0.1",
        "[2001:db8::1]",
        "203.0.113.5",
        "[::ffff:127.0.0.1]",
    ] {
        let url = format!("https://{host}/x.json");
        let o = warden(&["mud", "fetch", &url]);
        let out = String::from_utf8_lossy(&o.stdout);
        assert_eq!(o.status.code(), Some(1), "{url}: {out}");
        assert!(out.contains("special-purpose address"), "{url}: {out}");
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn vuln_check_finds_the_real_sbom_s_weakness_and_assess_fails_5_3_8_with_it() {
    let data = common::repo().join("crates/warden-lifecycle/tests/data");
    let db = data.join("osv/crates.io-rustsec.zip");
    let sbom = data.join("sbom/example11-sbom.spdx.json");
    let out = warden(&[
        "vuln",
        "check",
        "--db",
        db.to_str().unwrap(),
        sbom.to_str().unwrap(),
        "--json",
    ]);
    assert_eq!(
        out.status.code(),
        Some(1),
        "a known-affected component: exit 1"
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["sbom"]["format"], "SPDX-2.3");
    assert_eq!(v["database"]["records"], 1206);
    assert!(v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .any(|f| f["id"] == "RUSTSEC-2023-0001" && f["fixed"] == "1.20.3"));
    let dir = std::env::temp_dir().join(format!("warden-vulns-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let report = dir.join("vulns.json");
    std::fs::write(&report, &out.stdout).unwrap();
    let decl = common::repo().join("samples/declarations/hardened-plug.toml");
    let a = warden(&[
        "assess",
        "--declaration",
        decl.to_str().unwrap(),
        "--vulns",
        report.to_str().unwrap(),
        "--json",
    ]);
    let a: serde_json::Value = serde_json::from_slice(&a.stdout).unwrap();
    let p = a["provisions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["id"] == "5.3-8")
        .unwrap();
    assert_eq!(p["verdict"], "FAIL", "{p}");
    assert!(p.to_string().contains("RUSTSEC-2023-0001"), "{p}");
    // A clean SBOM says nothing against the maker.
    let clean = data.join("sbom/laravel-7.12.0.cdx-1.4.json");
    let out = warden(&[
        "vuln",
        "check",
        "--db",
        db.to_str().unwrap(),
        clean.to_str().unwrap(),
    ]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn generate_writes_a_manual_page_per_subcommand_and_completions_from_the_flags() {
    let dir = std::env::temp_dir().join(format!("warden-man-{}", std::process::id()));
    let o = warden(&["generate", "man", "--dir", dir.to_str().unwrap()]);
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let page = |name: &str| std::fs::read_to_string(dir.join(name)).unwrap();
    // The gateway's page documents its flag; analyze's lists the new ones.
    assert!(page("warden-gateway.1").contains("config"));
    let analyze = page("warden-analyze.1");
    assert!(
        analyze.contains("threads") && analyze.contains("no\\-detect"),
        "{analyze}"
    );
    assert!(page("warden.1").contains("analyze"));
    let pages = std::fs::read_dir(&dir).unwrap().count();
    std::fs::remove_dir_all(&dir).unwrap();
    assert!(
        pages >= 12,
        "one page per subcommand and warden.1, got {pages}"
    );
    for shell in ["bash", "zsh", "fish"] {
        let o = warden(&["generate", "completions", shell]);
        assert_eq!(o.status.code(), Some(0));
        let script = String::from_utf8(o.stdout).unwrap();
        assert!(
            script.contains("threads"),
            "{shell} completions lack --threads"
        );
    }
    assert_eq!(
        warden(&["generate", "completions", "tcsh"]).status.code(),
        Some(2)
    );
}
