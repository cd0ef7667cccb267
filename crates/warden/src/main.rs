//! `warden`: the one binary. Its flags are typed values in `flags.rs`; this
//! file reads them and wires the library crates together. The logic, and
//! the text renderers of each crate's data (`Report::text` in
//! warden-analyze, `Judged::text` in warden-detect, ...), live in the crates.

mod flags;
mod judge;

use flags::*;

use anyhow::{Context as _, Result};
use clap::Parser;
use serde_json::json;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use warden_mud::{Context, MudError};

/// Exit status meaning "findings".
struct Findings;

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            let _ = e.print();
            return if e.use_stderr() {
                ExitCode::from(2)
            } else {
                ExitCode::SUCCESS
            };
        }
    };
    match run(cli) {
        Ok(None) => ExitCode::SUCCESS,
        Ok(Some(Findings)) => ExitCode::from(1),
        Err(e) => {
            if is_broken_pipe(&e) {
                return ExitCode::SUCCESS;
            }
            eprintln!("warden: {e:#}");
            ExitCode::from(2)
        }
    }
}

/// Manual pages and completion scripts, from the clap definition itself,
/// so that they cannot drift from the flags.
fn generate(g: GenerateCmd) -> Result<Option<Findings>> {
    use clap::CommandFactory;
    let mut cmd = Cli::command();
    match g {
        GenerateCmd::Man { dir } => {
            std::fs::create_dir_all(&dir)
                .with_context(|| format!("cannot make {}", dir.display()))?;
            cmd.build();
            let mut pages = vec![("warden".to_string(), cmd.clone())];
            for sub in cmd.get_subcommands().filter(|s| s.get_name() != "help") {
                let name = format!("warden-{}", sub.get_name());
                pages.push((name.clone(), sub.clone().display_name(name)));
            }
            for (name, page) in pages {
                let mut buf = Vec::new();
                clap_mangen::Man::new(page).render(&mut buf)?;
                write_file(&dir.join(format!("{name}.1")), &buf)?;
            }
        }
        GenerateCmd::Completions { shell } => {
            let mut buf = Vec::new();
            clap_complete::generate(shell, &mut cmd, "warden", &mut buf);
            out(&String::from_utf8_lossy(&buf))?;
        }
        GenerateCmd::GatewayToml { uci } => {
            // Read and checked as the gateway would read and check it.
            let text = warden_gateway::config::read_file(&uci)?;
            let (toml, _) = warden_gateway::uci::checked_toml(&text)
                .map_err(|e| anyhow::anyhow!("{}: {}", uci.display(), e.0))?;
            out(&toml)?;
        }
    }
    Ok(None)
}

fn is_broken_pipe(e: &anyhow::Error) -> bool {
    e.chain().any(|c| {
        c.downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
    })
}

fn read(path: &Path) -> Result<Vec<u8>> {
    std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))
}

fn out(s: &str) -> Result<()> {
    let mut o = std::io::stdout().lock();
    o.write_all(s.as_bytes())?;
    o.flush()?;
    Ok(())
}

/// Pretty JSON and a newline, written as it is made: a report of many
/// devices is tens of megabytes, not worth holding twice in memory.
fn out_json<T: serde::Serialize + ?Sized>(v: &T) -> Result<()> {
    let mut o = std::io::BufWriter::with_capacity(1 << 16, std::io::stdout().lock());
    // As an io::Error, so that a closed pipe is recognised as one.
    serde_json::to_writer_pretty(&mut o, v).map_err(std::io::Error::from)?;
    o.write_all(b"\n")?;
    o.flush()?;
    Ok(())
}

fn run(cli: Cli) -> Result<Option<Findings>> {
    match cli.cmd {
        Cmd::Generate(g) => generate(g),
        Cmd::Capture {
            interface,
            filter,
            count,
            seconds,
            write,
        } => capture(&interface, filter.as_deref(), count, seconds, &write),
        Cmd::Analyze {
            files,
            interface,
            seconds,
            filter,
            device,
            lan,
            json,
            mud,
            bind,
            legacy,
            context,
            blocklist,
            thresholds,
            no_detect,
            threads,
        } => {
            let threads = threads.map_or(1, usize::from);
            let live = interface.map(|i| (i, seconds.unwrap_or(60), filter));
            let j = JudgeArgs {
                mud,
                bind,
                legacy,
                context,
                blocklist,
                thresholds,
                detect: !no_detect,
            };
            analyze(&files, live, device.as_deref(), &lan, json, &j, threads)
        }
        Cmd::Profile {
            files,
            device,
            mud_url,
            context,
            lan,
        } => profile(&files, &device, mud_url, context.as_deref(), &lan),
        Cmd::Standards(c) => standards(c),
        Cmd::Probe {
            target,
            allow,
            ports,
            rate,
            parallel,
            credentials,
            no_credentials,
            login_parallel,
            brute_force,
            no_tls,
            no_udp,
            scan_only,
            json,
        } => probe(&ProbeArgs {
            target,
            allow,
            ports,
            rate,
            parallel,
            credentials,
            no_credentials: no_credentials || scan_only,
            login_parallel,
            brute_force: if scan_only { 0 } else { brute_force },
            tls: !(no_tls || scan_only),
            udp: !(no_udp || scan_only),
            json,
        }),
        Cmd::Assess(a) => assess(&a),
        Cmd::Gateway {
            config,
            uci,
            log_format,
        } => {
            warden_gateway::set_log_format(match log_format {
                LogFormatArg::Text => warden_gateway::LogFormat::Text,
                LogFormatArg::Json => warden_gateway::LogFormat::Json,
            });
            let source = warden_gateway::config::ConfigSource {
                path: config,
                format: if uci {
                    warden_gateway::config::ConfigFormat::Uci
                } else {
                    warden_gateway::config::ConfigFormat::Toml
                },
            };
            let cfg = source.read()?;
            warden_gateway::run_blocking(cfg, Some(source))
                .map_err(|e| anyhow::anyhow!("gateway: {e}"))?;
            Ok(None)
        }
        Cmd::Inventory(i) => {
            let config = match &i {
                InventoryCmd::List { config }
                | InventoryCmd::Set { config, .. }
                | InventoryCmd::Support { config, .. } => config,
            };
            let text = judge::read_text(config)?;
            let cfg = warden_gateway::config::Config::parse(&text)
                .with_context(|| config.display().to_string())?;
            let call = |m: &str, p: &str, b| {
                warden_gateway::client::request(&cfg, m, p, b).map_err(|e| anyhow::anyhow!("{e}"))
            };
            match i {
                InventoryCmd::List { .. } => {
                    let v = call("GET", "/api/v1/devices", None)?;
                    for d in v.as_array().into_iter().flatten() {
                        println!(
                            "{}  {:<15} {:<12} {}",
                            d["mac"].as_str().unwrap_or(""),
                            d["lifecycle"].as_str().unwrap_or(""),
                            d["state"].as_str().unwrap_or(""),
                            d["name"].as_str().or(d["hostname"].as_str()).unwrap_or("")
                        );
                    }
                }
                InventoryCmd::Set {
                    mac, state, reason, ..
                } => {
                    let body = serde_json::json!({"to": state, "reason": reason});
                    let v = call(
                        "POST",
                        &format!("/api/v1/devices/{mac}/lifecycle"),
                        Some(body),
                    )?;
                    println!("{mac}: {}", v["lifecycle"].as_str().unwrap_or("?"));
                }
                InventoryCmd::Support {
                    mac, end, reason, ..
                } => {
                    let body = serde_json::json!({"end": end, "reason": reason});
                    let v = call(
                        "POST",
                        &format!("/api/v1/devices/{mac}/support"),
                        Some(body),
                    )?;
                    println!(
                        "{mac}: {}",
                        v["support"]["words"]
                            .as_str()
                            .unwrap_or("no support period known")
                    );
                }
            }
            Ok(None)
        }
        Cmd::Vuln(VulnCmd::Import { config, archive }) => {
            let text = judge::read_text(&config)?;
            let cfg = warden_gateway::config::Config::parse(&text)
                .with_context(|| config.display().to_string())?;
            let now = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_secs() as i64)
                .unwrap_or(0);
            let (rep, read_s, store_s) = warden_gateway::core::vulns::import_archive(
                &cfg.state_dir.join("warden.db"),
                &archive,
                now,
            )
            .map_err(|e| anyhow::anyhow!("{e}"))?;
            println!(
                "{}: {} records from {} entries ({} refused) read in {:.2} s ({:.0} records/s), stored in {:.2} s",
                archive.display(),
                rep.records,
                rep.entries,
                rep.refused_count,
                read_s,
                rep.records as f64 / read_s.max(1e-9),
                store_s
            );
            for r in &rep.refused {
                println!("  refused: {r}");
            }
            match warden_gateway::client::request(
                &cfg,
                "POST",
                "/api/v1/vulnerabilities/reload",
                None,
            ) {
                Ok(v) => println!("the gateway now holds {} records", v["records"]),
                Err(e) => println!(
                    "the gateway was not told ({e}); it loads the records at its next start"
                ),
            }
            Ok(None)
        }
        Cmd::Vuln(VulnCmd::Check {
            db,
            sbom,
            advisory,
            maker,
            model,
            version,
            json,
        }) => vuln_check(&db, &sbom, &advisory, [maker, model, version], json),
        Cmd::Policy(PolicyCmd::Check {
            policy,
            assessment,
            json,
        }) => policy_check(&policy, &assessment, json),
        Cmd::Mud(m) => match m {
            MudCmd::Validate {
                files,
                common,
                source_url,
            } => validate(&files, &common, source_url),
            MudCmd::Show { file, common } => show(&file, &common),
            MudCmd::Compile {
                file,
                device,
                context,
                format,
                common,
            } => compile(&file, &device, context.as_deref(), format, &common),
            MudCmd::New {
                profile,
                mud_url,
                mfg_name,
                model_name,
                systeminfo,
                documentation,
                firmware_rev,
                software_rev,
                unsupported,
                signature_url,
                cache_validity,
                sbom_url,
                vuln_url,
                last_update,
                out,
            } => {
                let last_update = rfc3339_or_now(last_update, "--last-update")?;
                let details = warden_mud::maker::MakerDetails {
                    mud_url,
                    signature_url,
                    mfg_name,
                    model_name,
                    systeminfo,
                    documentation,
                    firmware_rev,
                    software_rev,
                    supported: !unsupported,
                    last_update,
                    cache_validity,
                    sbom_url,
                    vuln_urls: vuln_url,
                };
                mud_new(&profile, &details, out.as_deref())
            }
            MudCmd::Sign {
                file,
                key,
                cert,
                chain,
                out,
                legacy,
            } => sign(&file, &key, &cert, chain.as_deref(), out, legacy),
            MudCmd::Verify {
                file,
                signature,
                trust,
                at,
                json,
            } => verify(&file, &signature, &trust, at.as_deref(), json),
            MudCmd::Fetch {
                url,
                https_root,
                trust,
                allow_private,
                allow_prefix,
                signature,
                json,
            } => mud_fetch(
                &url,
                https_root,
                trust,
                (allow_private, allow_prefix),
                &signature,
                json,
            ),
        },
    }
}

fn validate(
    files: &[PathBuf],
    common: &Common,
    source_url: Option<String>,
) -> Result<Option<Findings>> {
    let mut opts = common.options();
    opts.source_url = source_url;
    let mut reports = Vec::new();
    let mut bad = 0;
    let mut text = String::new();
    for f in files {
        let bytes = read(f)?;
        let name = f.display().to_string();
        match warden_mud::load(&bytes, &opts) {
            Ok(v) => {
                text += &format!(
                    "{name}: valid ({} ACLs, {} ACEs, {} warnings)\n",
                    v.mud.acls().len(),
                    v.mud.ace_count(),
                    v.warnings.len()
                );
                for w in &v.warnings {
                    text += &format!("  warning {w}\n");
                }
                reports.push(json!({"file": name, "valid": true, "mud_url": v.mud.meta().mud_url, "errors": [], "warnings": v.warnings}));
            }
            Err(MudError::Invalid { errors, warnings }) => {
                bad += 1;
                text += &format!("{name}: INVALID ({} errors)\n", errors.len());
                for e in &errors {
                    text += &format!("  error {e}\n");
                }
                for w in &warnings {
                    text += &format!("  warning {w}\n");
                }
                reports.push(
                    json!({"file": name, "valid": false, "errors": errors, "warnings": warnings}),
                );
            }
            Err(e) => return Err(e.into()),
        }
    }
    if common.json {
        out(&format!(
            "{}\n",
            serde_json::to_string_pretty(&json!({"files": reports}))?
        ))?;
    } else {
        out(&text)?;
    }
    Ok(if bad > 0 { Some(Findings) } else { None })
}

fn load_one(
    file: &Path,
    common: &Common,
) -> Result<std::result::Result<warden_mud::Validated, MudError>> {
    let bytes = read(file)?;
    Ok(warden_mud::load(&bytes, &common.options()))
}

fn report_invalid(file: &Path, e: &MudError, json_out: bool) -> Result<Option<Findings>> {
    let MudError::Invalid { errors, warnings } = e else {
        return Err(anyhow::anyhow!("{e}"));
    };
    if json_out {
        out(&format!(
            "{}\n",
            serde_json::to_string_pretty(
                &json!({"file": file.display().to_string(), "valid": false, "errors": errors, "warnings": warnings})
            )?
        ))?;
    } else {
        let mut t = format!("{}: INVALID ({} errors)\n", file.display(), errors.len());
        for e in errors {
            t += &format!("  error {e}\n");
        }
        out(&t)?;
    }
    Ok(Some(Findings))
}

fn show(file: &Path, common: &Common) -> Result<Option<Findings>> {
    let v = match load_one(file, common)? {
        Ok(v) => v,
        Err(e) => return report_invalid(file, &e, common.json),
    };
    let m = &v.mud.meta();
    let sentences = warden_mud::explain(&v.mud);
    if common.json {
        out(&format!(
            "{}\n",
            serde_json::to_string_pretty(&json!({
                "file": file.display().to_string(), "mud_url": m.mud_url, "systeminfo": m.systeminfo,
                "manufacturer": m.mfg_name, "model": m.model_name, "is_supported": m.is_supported,
                "documentation": m.documentation, "transparency": m.transparency,
                "explanation": sentences, "warnings": v.warnings,
            }))?
        ))?;
        return Ok(None);
    }
    let who = m
        .systeminfo
        .clone()
        .or_else(|| m.model_name.clone())
        .unwrap_or_else(|| m.mud_url.clone());
    let mut t = format!("{who}\n  MUD file: {}\n", m.mud_url);
    if let Some(mfg) = &m.mfg_name {
        t += &format!("  made by: {mfg}\n");
    }
    t += &format!(
        "  supported by its maker: {}\n",
        if m.is_supported {
            "yes"
        } else {
            "no (no more updates are expected)"
        }
    );
    if let Some(tr) = &m.transparency {
        if let Some(u) = &tr.sbom_url {
            t += &format!("  software bill of materials: {u}\n");
        }
        for u in &tr.vuln_urls {
            t += &format!("  vulnerability information: {u}\n");
        }
    }
    t += "This device\n";
    for s in &sentences {
        t += &format!("  - {s}\n");
    }
    if !v.warnings.is_empty() {
        t += &format!(
            "({} warnings; run `warden mud validate --legacy` to see them)\n",
            v.warnings.len()
        );
    }
    out(&t)?;
    Ok(None)
}

fn compile(
    file: &Path,
    device: &str,
    context: Option<&Path>,
    format: Format,
    common: &Common,
) -> Result<Option<Findings>> {
    let dev = warden_nft::Device::parse(device)?;
    let ctx = match context {
        Some(p) => {
            let s = String::from_utf8(read(p)?)
                .with_context(|| format!("{} is not UTF-8", p.display()))?;
            Context::from_toml(&s)?
        }
        None => Context::default(),
    };
    let v = match load_one(file, common)? {
        Ok(v) => v,
        Err(e) => return report_invalid(file, &e, common.json),
    };
    let policy = warden_mud::resolve(&v.mud, &ctx);
    let rs = warden_nft::compile(
        &[warden_nft::DevicePolicy {
            device: dev,
            policy: &policy,
        }],
        &warden_nft::Options::default(),
    )?;
    for n in policy.notes() {
        eprintln!(
            "warden: {} {}/{}: {}",
            if n.dropped { "left out" } else { "narrowed" },
            n.origin.acl,
            n.origin.ace,
            n.reason
        );
    }
    if common.json {
        // A report for programs: the notes, the sets to fill, and the ruleset.
        let nft: serde_json::Value = serde_json::from_str(&rs.json)?;
        out(&format!(
            "{}\n",
            serde_json::to_string_pretty(&json!({
                "file": file.display().to_string(),
                "mud_url": policy.mud_url(),
                "device": device,
                "rules": rs.rule_count,
                "notes": policy.notes(),
                "name_sets": rs.name_sets,
                "ruleset": nft,
            }))?
        ))?;
        return Ok(if policy.notes().iter().any(|n| n.dropped) {
            Some(Findings)
        } else {
            None
        });
    }
    match format {
        Format::Nft => out(&rs.text())?,
        Format::Json => {
            let v: serde_json::Value = serde_json::from_str(&rs.json)?;
            out_json(&v)?
        }
    }
    Ok(if policy.notes().iter().any(|n| n.dropped) {
        Some(Findings)
    } else {
        None
    })
}

/// `given` when it is an RFC 3339 time (`flag` names it otherwise), else
/// now, to the second.
fn rfc3339_or_now(given: Option<String>, flag: &str) -> Result<String> {
    let rfc3339 = &time::format_description::well_known::Rfc3339;
    match given {
        Some(t) => {
            time::OffsetDateTime::parse(&t, rfc3339)
                .with_context(|| format!("{flag} {t:?} is not an RFC 3339 time"))?;
            Ok(t)
        }
        None => Ok(time::OffsetDateTime::now_utc()
            .replace_nanosecond(0)
            .unwrap_or(time::OffsetDateTime::UNIX_EPOCH)
            .format(rfc3339)?),
    }
}

fn mud_new(
    profile: &Path,
    details: &warden_mud::maker::MakerDetails,
    out_path: Option<&Path>,
) -> Result<Option<Findings>> {
    let v = read_json(profile)?;
    let doc = warden_mud::maker::new_mud_file(&v, details)
        .with_context(|| format!("from {}", profile.display()))?;
    let text = format!("{}\n", serde_json::to_string_pretty(&doc)?);
    match out_path {
        Some(p) => write_file(p, &text)?,
        None => out(&text)?,
    }
    Ok(None)
}

fn sign(
    file: &Path,
    key: &Path,
    cert: &Path,
    chain: Option<&Path>,
    out_path: Option<PathBuf>,
    legacy: bool,
) -> Result<Option<Findings>> {
    let content = read(file)?;
    // A maker signs what the gateways will accept: a valid file.
    warden_mud::load(&content, &validate_options(legacy)).map_err(|e| {
        anyhow::anyhow!(
            "{} is not a valid MUD file, not signed: {e}",
            file.display()
        )
    })?;
    let chain = match chain {
        Some(p) => read(p)?,
        None => Vec::new(),
    };
    let der = warden_mud::signature::sign(&content, &read(key)?, &read(cert)?, &chain)?;
    let target = out_path.unwrap_or_else(|| file.with_extension("p7s"));
    write_file(&target, &der)?;
    eprintln!(
        "warden: signed {} -> {} ({} bytes)",
        file.display(),
        target.display(),
        der.len()
    );
    Ok(None)
}

fn verify(
    file: &Path,
    sig: &Path,
    trust: &Path,
    at: Option<&str>,
    json_out: bool,
) -> Result<Option<Findings>> {
    let content = read(file)?;
    let signature = read(sig)?;
    let store = warden_mud::signature::TrustStore::from_pem(&read(trust)?)?;
    let at = match at {
        Some(s) => time::OffsetDateTime::parse(s, &time::format_description::well_known::Rfc3339)
            .with_context(|| format!("--at `{s}` is not an RFC 3339 time"))?
            .unix_timestamp(),
        None => time::OffsetDateTime::now_utc().unix_timestamp(),
    };
    match warden_mud::signature::verify(&content, &signature, &store, at) {
        Ok(signer) => {
            if json_out {
                out(&format!(
                    "{}\n",
                    serde_json::to_string_pretty(
                        &json!({"verified": true, "signer": signer, "at": at})
                    )?
                ))?;
            } else {
                out(&format!(
                    "{}: signature OK\n  signer: {}\n  issuer: {}\n",
                    file.display(),
                    signer.subject,
                    signer.issuer
                ))?;
            }
            Ok(None)
        }
        Err(e @ warden_mud::error::SignatureError::Malformed(_))
        | Err(e @ warden_mud::error::SignatureError::Verification(_)) => {
            if json_out {
                out(&format!(
                    "{}\n",
                    serde_json::to_string_pretty(
                        &json!({"verified": false, "reason": e.to_string(), "at": at})
                    )?
                ))?;
            } else {
                out(&format!("{}: signature NOT valid: {e}\n", file.display()))?;
            }
            Ok(Some(Findings))
        }
        Err(e) => Err(e.into()),
    }
}

struct JudgeArgs {
    mud: Vec<PathBuf>,
    bind: Vec<String>,
    legacy: bool,
    context: Option<PathBuf>,
    blocklist: Option<PathBuf>,
    thresholds: Option<PathBuf>,
    detect: bool,
}

fn lan_prefixes(lan: &[String]) -> Result<Vec<warden_mud::IpPrefix>> {
    lan.iter()
        .map(|l| warden_mud::IpPrefix::parse(l).with_context(|| format!("--lan `{l}`")))
        .collect()
}

/// Runs the analyzer over the captures, on one thread or with its flow
/// stage shared out over `threads` workers (the same report either way).
fn run_analyzer<S: warden_analyze::Sink + Send + 'static>(
    mut a: warden_analyze::Analyzer<S>,
    threads: usize,
    files: &[PathBuf],
    live: Option<(String, u64, Option<String>)>,
) -> Result<(warden_analyze::Report, S)> {
    if threads <= 1 {
        feed(&mut a, files, live)?;
        return Ok(a.finish_with_sink());
    }
    let mut sharded = warden_analyze::shard::Sharded::new(a, threads);
    feed(&mut sharded, files, live)?;
    Ok(sharded.finish_with_sink())
}

/// Reads every capture (and the live interface) into the analyzer.
fn feed<O: warden_analyze::Observe>(
    a: &mut O,
    files: &[PathBuf],
    live: Option<(String, u64, Option<String>)>,
) -> Result<()> {
    use std::io::IsTerminal;
    use warden_capture::PacketSource;
    let progress = std::io::stderr().is_terminal();
    if let Some((interface, seconds, filter)) = live {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(seconds);
        let mut src =
            warden_capture::LiveSource::open(&interface, filter.as_deref(), Some(deadline))?;
        eprintln!("warden: analysing {interface} for {seconds} s");
        while let Some(p) = src.next_packet()? {
            a.observe(&p);
        }
    }
    for f in files {
        let mut src = warden_capture::open_path(f)
            .with_context(|| format!("cannot read {} as a capture", f.display()))?;
        // A progress bar by bytes read, for plain files on a terminal.
        let size = std::fs::metadata(f).map(|m| m.len()).unwrap_or(0);
        let gz = f.extension().is_some_and(|e| e == "gz");
        let mut n: u64 = 0;
        loop {
            match src.next_packet() {
                Ok(Some(p)) => {
                    a.observe(&p);
                    n += 1;
                    if progress && n % 100_000 == 0 {
                        eprint!(
                            "\r{}",
                            progress_line(f, n, src.bytes_read(), if gz { 0 } else { size })
                        );
                    }
                }
                Ok(None) => break,
                Err(e) => {
                    a.capture_error(&f.display().to_string(), &e);
                    break;
                }
            }
        }
        if progress && n >= 100_000 {
            eprintln!("\r{}", progress_line(f, n, size, if gz { 0 } else { size }));
        }
    }
    Ok(())
}

fn analyze(
    files: &[PathBuf],
    live: Option<(String, u64, Option<String>)>,
    device: Option<&str>,
    lan: &[String],
    json_out: bool,
    j: &JudgeArgs,
    threads: usize,
) -> Result<Option<Findings>> {
    let mut opts = warden_analyze::Options {
        lan: lan_prefixes(lan)?,
        ..Default::default()
    };
    if let Some(d) = device {
        opts.device = Some(judge::parse_mac(d, "--device")?);
    }
    let lan_mud = opts.lan.clone();
    let base = judge::load_context(j.context.as_deref())?;
    let muds = judge::load_muds(&j.mud, j.legacy)?;
    let mut explicit = Vec::new();
    for b in &j.bind {
        let (mac, file) = b
            .split_once('=')
            .with_context(|| format!("--bind `{b}`: expected MAC=FILE"))?;
        let mac = judge::parse_mac(mac, "--bind")?;
        let m = judge::load_muds(&[PathBuf::from(file)], j.legacy)?
            .pop()
            .with_context(|| format!("--bind {file}: no MUD file"))?;
        explicit.push((warden_detect::DevKey::Mac(mac), m));
    }
    if !j.detect {
        if !muds.is_empty() || !explicit.is_empty() {
            anyhow::bail!(
                "--no-detect cannot check MUD compliance; drop --mud/--bind or --no-detect"
            );
        }
        let a = warden_analyze::Analyzer::new(opts);
        let (r, _) = run_analyzer(a, threads, files, live)?;
        if json_out {
            out_json(&r)?;
            return Ok(None);
        }
        out(&r.text())?;
        return Ok(None);
    }
    let mut dopts = warden_detect::Options {
        deployment: base.deployment,
        resolvers: base
            .controllers
            .get(warden_detect::profile::DNS_URN)
            .map(|v| {
                v.iter()
                    .filter_map(|e| match e {
                        warden_mud::Endpoint::Net(p) => Some(p.addr),
                        warden_mud::Endpoint::Name(_) => None,
                    })
                    .collect()
            })
            .unwrap_or_default(),
        record: if muds.is_empty() && explicit.is_empty() {
            warden_detect::Record::Nothing
        } else {
            warden_detect::Record::All
        },
        ..Default::default()
    };
    if let Some(p) = &j.thresholds {
        dopts.thresholds = warden_detect::Thresholds::from_toml(&judge::read_text(p)?)
            .map_err(|e| anyhow::anyhow!("thresholds file {}: {e}", p.display()))?;
    }
    if let Some(p) = &j.blocklist {
        dopts.blocklist = Some(
            warden_detect::Blocklist::parse(&judge::read_text(p)?)
                .with_context(|| format!("blocklist {}", p.display()))?,
        );
    }
    let a = warden_analyze::Analyzer::with_sink(opts, warden_detect::Engine::new(dopts));
    let (r, mut engine) = run_analyzer(a, threads, files, live)?;
    // The context matters only when devices are judged against MUD files.
    let (compliance, notes) = if muds.is_empty() && explicit.is_empty() {
        (Vec::new(), Vec::new())
    } else {
        judge::check_all(&mut engine, &r, &muds, &explicit, &base, &lan_mud)
    };
    let found = engine.finish();
    let judged = warden_detect::report::Judged {
        report: &r,
        alerts: &found.alerts,
        compliance: &compliance,
        context_notes: &notes,
        detection_dropped: &found.dropped,
    };
    let serious = found
        .alerts
        .iter()
        .any(|a| a.severity >= warden_detect::Severity::Medium)
        || compliance.iter().any(|c| !c.violations.is_empty());
    if json_out {
        out_json(&judged)?;
    } else {
        out(&(r.text() + judged.text().as_str()))?;
    }
    Ok(serious.then_some(Findings))
}

fn profile(
    files: &[PathBuf],
    device: &str,
    mud_url: Option<String>,
    context: Option<&Path>,
    lan: &[String],
) -> Result<Option<Findings>> {
    let mac = judge::parse_mac(device, "--device")?;
    let dev = warden_detect::DevKey::Mac(mac);
    let opts = warden_analyze::Options {
        lan: lan_prefixes(lan)?,
        ..Default::default()
    };
    let lan_mud = opts.lan.clone();
    let base = judge::load_context(context)?;
    let dopts = warden_detect::Options {
        deployment: base.deployment,
        record: warden_detect::Record::Only(vec![dev]),
        ..Default::default()
    };
    let mut a = warden_analyze::Analyzer::with_sink(opts, warden_detect::Engine::new(dopts));
    feed(&mut a, files, None)?;
    let (r, engine) = a.finish_with_sink();
    let seen = r
        .devices
        .iter()
        .any(|d| d.mac.as_deref() == Some(dev.to_string().as_str()));
    if !seen {
        anyhow::bail!("no traffic of {dev} in the capture(s)");
    }
    if engine.device_flows(dev).is_empty() {
        eprintln!("warden: warning: {dev} has no IP flows here (only ARP/DHCP/link-local): the profile allows nothing");
    }
    let (ctx, notes) = engine.effective_context(&base, &lan_mud);
    let url = mud_url.unwrap_or_else(|| {
        format!(
            "https://example.invalid/warden-generated/{}",
            dev.to_string().replace(':', "")
        )
    });
    let p = engine.profile(
        dev,
        &ctx,
        &warden_detect::ProfileOptions {
            mud_url: url,
            systeminfo: format!("observed traffic of {dev}"),
        },
    );
    judge::validate_generated(&p.mud)?;
    for n in notes {
        eprintln!("warden: note: {n}");
    }
    for w in &p.warnings {
        eprintln!("warden: warning: {w}");
    }
    out_json(&p.mud)?;
    Ok(None)
}

fn capture(
    interface: &str,
    filter: Option<&str>,
    count: Option<u64>,
    seconds: Option<u64>,
    write: &Path,
) -> Result<Option<Findings>> {
    use warden_capture::PacketSource;
    let deadline = seconds.map(|s| std::time::Instant::now() + std::time::Duration::from_secs(s));
    let mut src = warden_capture::LiveSource::open(interface, filter, deadline)?;
    let file = std::fs::File::create(write)
        .with_context(|| format!("cannot create {}", write.display()))?;
    // Scripts (and the tests) wait for this line before sending traffic.
    eprintln!("warden: capturing on {interface}");
    let mut w: Option<warden_capture::PcapWriter<std::io::BufWriter<std::fs::File>>> = None;
    let mut file = Some(std::io::BufWriter::new(file));
    let mut n = 0u64;
    while count.is_none_or(|c| n < c) {
        let Some(p) = src.next_packet()? else { break };
        if w.is_none() {
            let f = file.take().context("capture file already in use")?;
            w = Some(warden_capture::PcapWriter::new(
                f,
                p.link,
                warden_capture::MAX_PACKET as u32,
            )?);
        }
        if let Some(w) = w.as_mut() {
            w.write(p.ts_nanos, p.data, p.orig_len)?;
        }
        n += 1;
    }
    match (w, file) {
        (Some(w), _) => {
            let mut f = w.into_inner();
            f.flush()?;
        }
        // Nothing captured: still leave a valid, empty pcap behind.
        (None, Some(f)) => {
            let mut f = warden_capture::PcapWriter::new(
                f,
                warden_capture::Link::Ethernet,
                warden_capture::MAX_PACKET as u32,
            )?
            .into_inner();
            f.flush()?;
        }
        (None, None) => {}
    }
    eprintln!(
        "warden: {n} packets from {interface} written to {}",
        write.display()
    );
    Ok(None)
}

/// "file [#########           ] 45% 1200000 packets", or just the count when
/// the size is unknown (gzip).
fn progress_line(f: &Path, packets: u64, done: u64, size: u64) -> String {
    if size == 0 {
        return format!("{}: {packets} packets", f.display());
    }
    let pct = (done.min(size) * 100 / size) as usize;
    let bar: String = (0..30)
        .map(|i| if i * 100 < pct * 30 { '#' } else { ' ' })
        .collect();
    format!("{} [{bar}] {pct:3}% {packets} packets", f.display())
}

fn standards(c: StdCmd) -> Result<Option<Findings>> {
    use warden_assess::Catalog;
    let load = |v: &str| -> Result<Catalog> {
        Ok(match v.trim_start_matches(['v', 'V']) {
            "2.1.1" => Catalog::v2_1_1()?,
            "3.1.3" => Catalog::v3_1_3()?,
            _ => anyhow::bail!("--version `{v}`: v2.1.1 or v3.1.3"),
        })
    };
    match c {
        StdCmd::Catalog {
            version,
            oscal,
            json,
        } => {
            let cat = load(&version)?;
            if oscal {
                let now = time::OffsetDateTime::now_utc()
                    .format(&time::format_description::well_known::Rfc3339)?;
                out(&format!(
                    "{}\n",
                    serde_json::to_string_pretty(&warden_assess::oscal::catalog(&cat, &now))?
                ))?;
            } else if json {
                out_json(&cat)?;
            } else {
                out(&cat.text())?;
            }
        }
        StdCmd::Crosswalk { regime, json } => {
            let cat = Catalog::v2_1_1()?;
            let all = warden_assess::crosswalks(&cat)?;
            let chosen: Vec<&warden_assess::Crosswalk> = all
                .iter()
                .filter(|x| regime.as_ref().is_none_or(|r| *r == x.regime))
                .collect();
            if chosen.is_empty() {
                let names: Vec<&str> = all.iter().map(|x| x.regime.as_str()).collect();
                anyhow::bail!(
                    "no regime {:?}; known: {}",
                    regime.unwrap_or_default(),
                    names.join(", ")
                );
            }
            if json {
                out_json(&chosen)?;
            } else {
                out(&chosen.iter().map(|x| x.text()).collect::<String>())?;
            }
        }
    }
    Ok(None)
}

fn read_json(p: &Path) -> Result<serde_json::Value> {
    serde_json::from_slice(&read(p)?).with_context(|| format!("{} is not JSON", p.display()))
}

fn write_file(p: &Path, data: impl AsRef<[u8]>) -> Result<()> {
    std::fs::write(p, data).with_context(|| format!("cannot write {}", p.display()))
}

fn assess(args: &AssessArgs) -> Result<Option<Findings>> {
    use warden_assess::verdict::Verdict;
    let cat = warden_assess::Catalog::v2_1_1()?;
    let x = warden_assess::crosswalks(&cat)?;
    let text = judge::read_text(&args.declaration)?;
    let d = warden_assess::declaration::Declaration::parse(&text, &cat)
        .with_context(|| args.declaration.display().to_string())?;
    let at = rfc3339_or_now(args.at.clone(), "--at")?;
    let mut findings = Vec::new();
    if let (Some(r), Some(dev)) = (&args.report, &args.device) {
        let v = read_json(r)?;
        findings = warden_assess::evidence::from_report(&v, dev, &d)
            .map_err(|e| anyhow::anyhow!("{}: {e}", r.display()))?;
    }
    if let Some(p) = &args.probe {
        let v = read_json(p)?;
        findings.extend(
            warden_assess::evidence::from_probe(&v, &d)
                .map_err(|e| anyhow::anyhow!("{}: {e}", p.display()))?,
        );
    }
    if let Some(p) = &args.vulns {
        let v = read_json(p)?;
        findings.extend(
            warden_assess::evidence::from_vulns(&v)
                .map_err(|e| anyhow::anyhow!("{}: {e}", p.display()))?,
        );
    }
    let mut a = warden_assess::verdict::assess(&cat, &x, &d, &findings);
    a.assessed_at = Some(at.clone());
    let failed = a.provisions.iter().any(|p| p.verdict == Verdict::Fail);
    if let Some(f) = &args.oscal {
        let doc = warden_assess::oscal::assessment_results(&a, &at);
        write_file(f, format!("{}\n", serde_json::to_string_pretty(&doc)?))?;
    }
    let report_url = args.report_url.clone().or_else(|| {
        args.html.as_ref().map(|h| {
            let abs = std::path::absolute(h).unwrap_or_else(|_| h.clone());
            format!("file://{}", abs.display())
        })
    });
    let label_svg = match &report_url {
        Some(url) => {
            let regimes = a.label_regimes();
            Some(
                warden_assess::label::svg(&warden_assess::label::LabelInput {
                    manufacturer: &a.manufacturer,
                    model: &a.model,
                    level: &a.label,
                    support_period_end: a.support_period_end.as_deref(),
                    assessed_at: a.assessed_at.as_deref(),
                    catalog: &a.catalog,
                    regimes,
                    report_url: url,
                })
                .map_err(|e| anyhow::anyhow!("--report-url: {e}"))?,
            )
        }
        None if args.label.is_some() => {
            anyhow::bail!("--label needs --report-url or --html (the QR code must lead somewhere)")
        }
        None => None,
    };
    if let (Some(f), Some(svg)) = (&args.label, &label_svg) {
        write_file(f, svg)?;
    }
    if let Some(f) = &args.html {
        write_file(f, warden_assess::html::report(&a, label_svg.as_deref()))?;
    }
    let json_out = args.json;
    if json_out {
        out_json(&a)?;
        return Ok(failed.then_some(Findings));
    }
    out(&a.text())?;
    Ok(failed.then_some(Findings))
}

fn policy_check(policy: &Path, assessment: &Path, json_out: bool) -> Result<Option<Findings>> {
    let p = warden_assess::policy::Policy::parse(&judge::read_text(policy)?)
        .with_context(|| policy.display().to_string())?;
    let a: warden_assess::verdict::Assessment = serde_json::from_slice(&read(assessment)?)
        .with_context(|| {
            format!(
                "{} is not an assessment (`warden assess --json` output)",
                assessment.display()
            )
        })?;
    let today = time::OffsetDateTime::now_utc()
        .date()
        .format(&time::macros::format_description!("[year]-[month]-[day]"))?;
    let r = warden_assess::policy::check(&p, &a, &today);
    if json_out {
        out_json(&r)?;
    } else {
        out(&r.text(&a))?;
    }
    Ok((!r.met).then_some(Findings))
}

struct ProbeArgs {
    target: String,
    allow: Vec<String>,
    ports: Option<String>,
    rate: u32,
    parallel: usize,
    credentials: Option<PathBuf>,
    no_credentials: bool,
    login_parallel: usize,
    brute_force: usize,
    tls: bool,
    udp: bool,
    json: bool,
}

fn probe(a: &ProbeArgs) -> Result<Option<Findings>> {
    use warden_probe::bruteforce::Protection;
    let ip: std::net::IpAddr = a.target.parse().with_context(|| {
        format!(
            "`{}` is not an IP address (names are not resolved)",
            a.target
        )
    })?;
    let scope = warden_probe::Scope::new(&a.allow)?;
    scope.check(ip)?;
    let ports = match &a.ports {
        Some(p) => warden_probe::parse_ports(p).map_err(|e| anyhow::anyhow!("--ports: {e}"))?,
        None => warden_probe::IOT_PORTS.to_vec(),
    };
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    let nonce = (now.as_nanos() as u64) ^ (u64::from(std::process::id()) << 32);
    let mut o = warden_probe::ProbeOptions::new(ports, now.as_secs() as i64, nonce);
    o.scan.rate = a.rate;
    o.scan.parallel = a.parallel;
    o.login_parallel = a.login_parallel;
    o.brute_force_attempts = a.brute_force;
    o.tls = a.tls;
    o.udp = a.udp;
    if a.no_credentials {
        o.credentials.clear();
        o.brute_force_attempts = 0;
    } else if let Some(f) = &a.credentials {
        let text = judge::read_text(f)?;
        o.credentials = warden_probe::creds::parse_csv(&text, &f.display().to_string())?;
    }
    let r = warden_probe::probe(&scope, ip, &o)?;
    let accepted: Vec<_> = r
        .credentials
        .iter()
        .filter(|c| c.accepted.is_some())
        .collect();
    let weak_tls: Vec<_> = r
        .tls
        .iter()
        .filter(|t| {
            !t.legacy_versions.is_empty()
                || t.certificate
                    .as_ref()
                    .is_some_and(|c| !c.weaknesses.is_empty())
        })
        .collect();
    let open_resolver = r.dns_resolver.as_ref().is_some_and(|d| d.open);
    let unprotected = r.brute_force.as_ref().is_some_and(|b| {
        matches!(b.protection, Protection::None { .. }) || b.accepted_wrong_password
    });
    let findings = !accepted.is_empty()
        || !weak_tls.is_empty()
        || !r.open_admin_pages.is_empty()
        || open_resolver
        || unprotected;
    if a.json {
        out_json(&r)?;
        return Ok(findings.then_some(Findings));
    }
    out(&r.text())?;
    Ok(findings.then_some(Findings))
}

fn mud_fetch(
    url: &str,
    https_roots: Vec<PathBuf>,
    trust: Vec<PathBuf>,
    (allow_private, allow_prefixes): (bool, Vec<String>),
    signature: &str,
    json_out: bool,
) -> Result<Option<Findings>> {
    use warden_gateway::config::{MudConfig, SignaturePolicy};
    use warden_gateway::fetch::SignatureStatus;
    let policy = match signature {
        "require" => SignaturePolicy::Require,
        "warn" => SignaturePolicy::Warn,
        "off" => SignaturePolicy::Off,
        s => anyhow::bail!("--signature {s:?}: require, warn or off"),
    };
    let cfg = MudConfig {
        signature: policy,
        trust,
        https_roots,
        allow_private,
        allow_prefixes,
        ..Default::default()
    };
    let r = warden_gateway::fetch_blocking(&cfg, url, warden_gateway::now())
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    let (ok, v) = match &r {
        Err(e) => (
            false,
            json!({"url": url, "outcome": "refused", "error": e.to_string()}),
        ),
        Ok(f) => {
            let applied = matches!(f.signature, SignatureStatus::Verified { .. })
                || policy != SignaturePolicy::Require;
            (
                applied,
                json!({"url": url, "outcome": if applied { "ok" } else { "signature-failed" },
                       "http_status": f.http_status, "bytes": f.body.len(), "sha256": f.sha256,
                       "signature": f.signature, "cache_seconds": f.cache_seconds}),
            )
        }
    };
    if json_out {
        out_json(&v)?;
    } else {
        out(&match &r {
            Err(e) => format!("{url}: REFUSED: {e}\n"),
            Ok(f) => format!(
                "{url}: fetched ({} bytes, sha256 {}), valid MUD; signature {}{}\n",
                f.body.len(),
                f.sha256,
                f.signature.name(),
                match &f.signature {
                    SignatureStatus::Verified { signer } => format!(" by {signer}"),
                    SignatureStatus::Failed { reason } => format!(": {reason}"),
                    _ => String::new(),
                }
            ),
        })?;
    }
    Ok((!ok).then_some(Findings))
}

/// `warden vuln check`: an SBOM against an OSV archive, with the maker's
/// CSAF statements for the product deciding. Exit 1 on a known-affected
/// vulnerability.
fn vuln_check(
    db: &Path,
    sbom: &Path,
    advisories: &[PathBuf],
    [maker, model, version]: [String; 3],
    json: bool,
) -> Result<Option<Findings>> {
    use warden_lifecycle::advisory::{Advisory, DeviceProduct, Status};
    let f = std::fs::File::open(db).with_context(|| db.display().to_string())?;
    let mut vdb = warden_lifecycle::osv::VulnDb::default();
    let rep = vdb
        .import_zip(std::io::BufReader::new(f))
        .with_context(|| db.display().to_string())?;
    let bytes = std::fs::read(sbom).with_context(|| sbom.display().to_string())?;
    let s = warden_lifecycle::sbom::read(&bytes).with_context(|| sbom.display().to_string())?;
    let product = DeviceProduct {
        maker,
        model,
        version,
    };
    let mut vex = Vec::new();
    for a in advisories {
        let b = std::fs::read(a).with_context(|| a.display().to_string())?;
        let adv = Advisory::read(&b).with_context(|| a.display().to_string())?;
        vex.extend(adv.findings(&product));
    }
    let mut rows = Vec::new();
    let mut affected = 0;
    for m in vdb.match_all(&s.components) {
        let said = vex
            .iter()
            .find(|f| f.id == m.id || m.aliases.iter().any(|a| a == &f.id));
        let status = said.map(|f| f.status).unwrap_or(Status::KnownAffected);
        if status == Status::KnownAffected {
            affected += 1;
        }
        rows.push(serde_json::json!({
            "id": m.id, "aliases": m.aliases, "component": m.purl, "version": m.version,
            "fixed": m.fixed, "score": m.score, "status": status.name(),
            "source": said.map(|f| f.advisory.clone()).unwrap_or_else(|| "OSV".into()),
        }));
    }
    if json {
        println!(
            "{}",
            serde_json::to_string_pretty(&serde_json::json!({
                "sbom": {"format": s.format, "reader": s.reader, "subject": s.subject, "components": s.components.len()},
                "database": {"records": rep.records, "refused": rep.refused_count},
                "findings": rows,
            }))?
        );
    } else {
        println!(
            "{}: {} ({} components) against {} records",
            sbom.display(),
            s.format,
            s.components.len(),
            rep.records
        );
        for r in &rows {
            println!(
                "  {:<20} {:<40} {:<20} fixed in {:<10} {}",
                r["id"].as_str().unwrap_or(""),
                r["component"].as_str().unwrap_or(""),
                r["status"].as_str().unwrap_or(""),
                r["fixed"].as_str().unwrap_or("-"),
                r["score"]
                    .as_f64()
                    .map(|s| format!("CVSS {s:.1}"))
                    .unwrap_or_default()
            );
        }
        if rows.is_empty() {
            println!("  no known vulnerability");
        }
    }
    Ok((affected > 0).then_some(Findings))
}
