//! Helpers shared by the integration tests.
#![allow(dead_code)]

use std::path::PathBuf;
use std::process::Command;

/// The shared corpus, read in place (../shared/corpus from the repository root).
pub fn corpus() -> PathBuf {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..");
    let p = root.join("../shared/corpus");
    assert!(
        p.is_dir(),
        "the shared corpus is missing at {}",
        p.display()
    );
    p
}

pub fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// A network namespace made for one test and removed when dropped, so that
/// `nft -c` runs against a kernel view that no other process shares.
pub struct Netns(pub String);

impl Netns {
    pub fn new(tag: &str) -> Netns {
        let name = format!("wdn-{tag}-{}", std::process::id());
        let st = Command::new("ip")
            .args(["netns", "add", &name])
            .status()
            .expect("run ip");
        assert!(
            st.success(),
            "ip netns add {name} failed: the nft tests need root and iproute2"
        );
        Netns(name)
    }

    /// Runs `nft -c [-j] -f FILE` inside the namespace; returns stderr on failure.
    pub fn nft_check(&self, file: &std::path::Path, json: bool) -> Result<(), String> {
        let mut args = vec!["netns", "exec", &self.0, "nft", "-c"];
        if json {
            args.push("-j");
        }
        let f = file.to_str().unwrap();
        args.extend(["-f", f]);
        let out = Command::new("ip").args(&args).output().expect("run nft");
        if out.status.success() {
            Ok(())
        } else {
            Err(String::from_utf8_lossy(&out.stderr).into_owned())
        }
    }
}

impl Drop for Netns {
    fn drop(&mut self) {
        let _ = Command::new("ip").args(["netns", "del", &self.0]).status();
    }
}
