#!/usr/bin/env bash
# 32-bit MIPS routers have no 64-bit atomics and a 32-bit time_t: the
# traffic engine's crates are type-checked for mips-unknown-linux-gnu with
# the standard library built from source (nightly, -Z build-std). The crates
# that link C libraries (OpenSSL, SQLite, libssh2) need a cross sysroot to
# run their build scripts and are not type-checked here; clippy.toml forbids
# AtomicU64 and AtomicI64 in every crate (README: Not supported yet).
set -euo pipefail
cd "$(dirname "$0")/.."
if ! rustup component list --toolchain nightly --installed 2>/dev/null | grep -q '^rust-src'; then
  rustup component add rust-src --toolchain nightly
fi
cargo +nightly check -q -Z build-std=core,std,alloc --target mips-unknown-linux-gnu \
  --target-dir target/mips-check \
  -p warden-addr -p warden-wire -p warden-flow -p warden-capture -p warden-analyze
echo "32-bit MIPS: warden-addr, warden-wire, warden-flow, warden-capture, warden-analyze type-check"
