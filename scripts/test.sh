#!/usr/bin/env bash
# Quick start, command 2: the whole test suite, exactly what CI runs (.ci/run).
#   formatting, clippy (warnings are errors; it checks the benchmarks too),
#   a short run of every fuzz target, every unit and integration test, then
#   the Debian package built and checked (scripts/test-package.sh), the
#   OpenWrt feed checked (scripts/check-openwrt.sh), and the binary
#   cross-built for aarch64 and armv7 and run under qemu-user
#   (scripts/check-cross.sh).
#   Each stage prints how long it took.
# Needs root: the nftables tests make their own network namespaces, and
# missing system packages are installed with apt-get. Nothing waits for input.
set -euo pipefail
cd "$(dirname "$0")/.."
stage_start=$SECONDS
stage() {
  echo "   (took $((SECONDS - stage_start)) s)"
  stage_start=$SECONDS
  echo "== $*"
}

. scripts/lib/packages.sh
# Build: nftables, libpcap, OpenSSL, libssh2, the OUI registry. Tests: tshark
# (the reference for the traffic engine), and the real servers the probe is
# tested against (BusyBox telnetd, OpenSSH, dnsmasq, OpenSSL), rsvg-convert
# and zbarimg for the label; dhcpcd (with its mudurl option) and curl for the
# gateway's namespace test; Chromium renders the HTML report, and drives the
# dashboard over WebDriver (chromium-driver); Prometheus (promtool and a real
# server) reads the gateway's /metrics.
need_packages nft:nftables ip:iproute2 pkg-config:pkg-config tshark:tshark \
  dpkg:libssl-dev dpkg:libpcap-dev dpkg:libssh2-1-dev /usr/share/ieee-data/oui.csv:ieee-data \
  python3:python3 openssl:openssl /usr/sbin/sshd:openssh-server dnsmasq:dnsmasq-base \
  rsvg-convert:librsvg2-bin zbarimg:zbar-tools ssh-keygen:openssh-client \
  dhcpcd:dhcpcd-base curl:curl chromium:chromium chromedriver:chromium-driver hping3:hping3 \
  promtool:prometheus
# The browser test's accessibility checker (axe-core), from the npm registry
# with the lockfile in crates/warden/tests/browser.
command -v npm >/dev/null 2>&1 || need_packages npm:npm
(cd crates/warden/tests/browser && npm ci --no-audit --no-fund --loglevel=error)
if ! busybox --list 2>/dev/null | grep -qx telnetd; then
  need_packages dpkg:busybox-static
fi

rustup component add rustfmt clippy >/dev/null 2>&1 || true
if ! cargo +nightly --version >/dev/null 2>&1; then
  echo "the nightly toolchain is needed for cargo-fuzz" >&2
  exit 2
fi
command -v cargo-fuzz >/dev/null 2>&1 || cargo install cargo-fuzz --locked -q

stage "cargo fmt --check"
cargo fmt --all --check
(cd fuzz && cargo fmt --check)

stage "cargo clippy"
cargo clippy --workspace --all-targets -q -- -D warnings

stage "32-bit MIPS type check (no 64-bit atomics, 32-bit time_t)"
bash scripts/check-32bit.sh

stage "fuzz: every target for ${FUZZ_SECONDS:=6}s"
mkdir -p fuzz/corpus/mud_pipeline fuzz/corpus/mud_signature fuzz/corpus/context_toml fuzz/corpus/capture_reader
if [ -d ../shared/corpus/mud ]; then
  find ../shared/corpus/mud -type f \( -name '*.json' -o -name '*.mud' -o -name 'MUDFILE.NEST' \) \
    -exec cp {} fuzz/corpus/mud_pipeline/ \;
fi
cp samples/mud/*.json fuzz/corpus/mud_pipeline/
# RFC 9761 TLS profiles, as the RFC prints its example and corrected.
cp crates/warden-mud/tests/data/rfc9761/*.json fuzz/corpus/mud_pipeline/
cp samples/mud/*.p7s fuzz/corpus/mud_signature/
cp samples/context.toml fuzz/corpus/context_toml/
mkdir -p fuzz/corpus/assess_declaration
cp samples/declarations/*.toml fuzz/corpus/assess_declaration/
mkdir -p fuzz/corpus/probe_answers fuzz/corpus/assess_inputs
cp crates/warden-probe/data/*.csv fuzz/corpus/probe_answers/
cp samples/policies/*.toml fuzz/corpus/assess_inputs/
mkdir -p fuzz/corpus/uci_config
cp packaging/openwrt/net/warden/files/warden.config fuzz/corpus/uci_config/
mkdir -p fuzz/corpus/gateway_inputs
cp samples/gateway.toml fuzz/corpus/gateway_inputs/
if [ -d ../shared/corpus/pcap ]; then
  # Small captures only: the fuzzer mutates them many times a second.
  find ../shared/corpus/pcap -type f \( -name '*.pcap' -o -name '*.pcapng' \) -size -64k \
    -exec cp {} fuzz/corpus/capture_reader/ \;
fi
mkdir -p fuzz/corpus/lifecycle_documents
# Seeds: the real SBOMs and advisories, each behind the byte that picks its reader.
for f in crates/warden-lifecycle/tests/data/sbom/*.json; do
  { printf '\x00'; cat "$f"; } > "fuzz/corpus/lifecycle_documents/sbom-$(basename "$f")"
done
{ printf '\x01'; cat crates/warden-lifecycle/tests/data/csaf/icsa-24-289-02.json; } > fuzz/corpus/lifecycle_documents/csaf-icsa-24-289-02.json
{ printf '\x03'; cat crates/warden-lifecycle/data/support-catalogue.toml; } > fuzz/corpus/lifecycle_documents/catalogue.toml
mkdir -p fuzz/corpus/capture_analyze
cp fuzz/corpus/capture_reader/* samples/pcap/*.pcap fuzz/corpus/capture_analyze/ 2>/dev/null || true
# Every target built once, in one cargo run, unoptimised (--dev): on two
# cores an optimised AddressSanitizer build of the whole dependency tree
# took most of an hour, and these are short smoke runs, not a campaign.
if ! out=$(cargo +nightly fuzz build --dev 2>&1); then
  echo "$out" | tail -40 >&2
  echo "the fuzz targets do not build" >&2
  exit 1
fi
for t in $(cargo +nightly fuzz list); do
  echo "-- $t"
  cargo +nightly fuzz run --dev "$t" -- -max_total_time="$FUZZ_SECONDS" -rss_limit_mb=4096 -print_final_stats=1 2>&1 \
    | grep -E '^(Done|stat::number_of_executed_units)|panicked|ERROR|SUMMARY' || true
  # Every input a fuzzer ever found, replayed with leak detection on
  # (libFuzzer's default): a leak or a crash fails the run.
  if [ -d "fuzz/regressions/$t" ]; then
    host=$(rustc -vV | sed -n 's/^host: //p')
    if ! out=$("fuzz/target/$host/debug/$t" -detect_leaks=1 fuzz/regressions/"$t"/* 2>&1); then
      echo "$out" | grep -E 'ERROR|SUMMARY|Running' >&2 || true
      echo "fuzz target $t fails on a regression seed in fuzz/regressions/$t" >&2
      exit 1
    fi
    echo "   replayed $(ls fuzz/regressions/"$t" | wc -l) regression seeds: no crash, no leak"
  fi
  if [ -d "fuzz/artifacts/$t" ] && [ -n "$(ls -A "fuzz/artifacts/$t" 2>/dev/null)" ]; then
    echo "fuzz target $t found a failing input: fuzz/artifacts/$t" >&2
    exit 1
  fi
done

stage "cargo test"
log=$(mktemp)
set +e
cargo test --workspace --no-fail-fast 2>&1 | tee "$log"
status=${PIPESTATUS[0]}
set -e
passed=$(grep -oE 'test result: [a-zA-Z]+\. [0-9]+ passed' "$log" | awk '{s+=$4} END {print s+0}')
failed=$(grep -oE '[0-9]+ failed;' "$log" | awk '{s+=$1} END {print s+0}')
rm -f "$log"
echo
echo "tests: $passed passed, $failed failed (took $((SECONDS - stage_start)) s)"
tests_took=$((SECONDS - stage_start))
stage_start=$SECONDS

# Stages after the tests run whatever the tests gave; the first failure
# among them is the run's status when the tests passed.
after_status=0
after_tests() { # NAME COMMAND...
  echo "== $1"; shift
  local rc=0
  "$@" || rc=$?
  echo "   (took $((SECONDS - stage_start)) s)"
  stage_start=$SECONDS
  if [ "$after_status" -eq 0 ]; then after_status=$rc; fi
}
# The Debian package of the binary the tests just built: its files, control
# data, maintainer script, and the unit's verify and security rating.
after_tests "package" env NO_BUILD=1 bash scripts/test-package.sh
# The OpenWrt feed, as far as this machine can check it.
after_tests "openwrt feed" env WARDEN=target/debug/warden bash scripts/check-openwrt.sh
# Routers' CPUs: the binary cross-built for aarch64 and armv7 and run
# under qemu-user.
after_tests "aarch64 and armv7 under qemu-user" \
  env HOST_WARDEN=target/debug/warden bash scripts/check-cross.sh
echo "   (tests $tests_took s; whole run $SECONDS s)"
if [ "$status" -ne 0 ]; then exit "$status"; fi
exit "$after_status"
