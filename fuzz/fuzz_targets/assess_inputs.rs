//! Files an assessor hands warden: a probe report (JSON, as evidence), an
//! assessment (JSON, for a policy check) and a policy (TOML). Each parsed
//! and used; none may panic, and every output (HTML, OSCAL, label) is made.
#![no_main]

use libfuzzer_sys::fuzz_target;
use warden_assess::{
    crosswalks, declaration::Declaration, evidence, html, label, oscal, policy, verdict, Catalog,
};

const DECL: &str = include_str!("../../samples/declarations/weak-camera.toml");

type Fixed = (Catalog, Vec<warden_assess::Crosswalk>, Declaration);

fn fixed() -> &'static Fixed {
    static F: std::sync::OnceLock<Fixed> = std::sync::OnceLock::new();
    F.get_or_init(|| {
        let c = Catalog::v2_1_1().unwrap();
        let x = crosswalks(&c).unwrap();
        let d = Declaration::parse(DECL, &c).unwrap();
        (c, x, d)
    })
}

fuzz_target!(|data: &[u8]| {
    let (c, x, d) = fixed();
    if let Ok(v) = serde_json::from_slice::<serde_json::Value>(data) {
        if let Ok(f) = evidence::from_probe(&v, d) {
            let a = verdict::assess(c, x, d, &f);
            let _ = html::report(&a, None);
            let _ = oscal::assessment_results(&a, "2026-01-01T00:00:00Z");
        }
        let _ = evidence::from_report(&v, "02:00:00:00:00:01", d);
        if let Ok(a) = serde_json::from_value::<verdict::Assessment>(v) {
            let p = policy::Policy::parse(
                "name = \"x\"\nmandatory-pass = true\nmin-support-years = 5\npass = [\"5.3\"]\n",
            )
            .unwrap();
            let _ = policy::check(&p, &a, "2026-01-01");
            let _ = html::report(&a, None);
        }
    }
    if let Ok(s) = std::str::from_utf8(data) {
        if let Ok(p) = policy::Policy::parse(s) {
            let a = verdict::assess(c, x, d, &[]);
            let _ = policy::check(&p, &a, "2026-01-01");
        }
        let l = label::Level {
            level: 2,
            name: "x".into(),
            tested: true,
            blocking: vec![],
        };
        let _ = label::svg(&label::LabelInput {
            manufacturer: s,
            model: s,
            level: &l,
            support_period_end: Some(s),
            assessed_at: Some(s),
            catalog: s,
            regimes: vec![s.to_string()],
            report_url: s,
        });
    }
});
