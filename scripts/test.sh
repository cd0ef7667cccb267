#!/usr/bin/env bash
# Quick start, command 2: the whole test suite, exactly what CI runs (.ci/run).
#   formatting, clippy (warnings are errors), a short run of every fuzz target,
#   the benchmarks compiled, then every unit and integration test.
# Needs root: the nftables tests make their own network namespaces, and
# missing system packages are installed with apt-get. Nothing waits for input.
set -euo pipefail
cd "$(dirname "$0")/.."

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo -n "$@"; fi; }

need=()
command -v nft >/dev/null 2>&1 || need+=(nftables)
command -v ip >/dev/null 2>&1 || need+=(iproute2)
command -v pkg-config >/dev/null 2>&1 || need+=(pkg-config)
command -v tshark >/dev/null 2>&1 || need+=(tshark)
dpkg -s libssl-dev >/dev/null 2>&1 || need+=(libssl-dev)
[ -f /usr/share/ieee-data/oui.csv ] || need+=(ieee-data)
dpkg -s libpcap-dev >/dev/null 2>&1 || need+=(libpcap-dev)
command -v python3 >/dev/null 2>&1 || need+=(python3)
if [ ${#need[@]} -gt 0 ]; then
  echo "== installing ${need[*]}"
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
fi

rustup component add rustfmt clippy >/dev/null 2>&1 || true
if ! cargo +nightly --version >/dev/null 2>&1; then
  echo "the nightly toolchain is needed for cargo-fuzz" >&2
  exit 2
fi
command -v cargo-fuzz >/dev/null 2>&1 || cargo install cargo-fuzz --locked -q

echo "== cargo fmt --check"
cargo fmt --all --check
(cd fuzz && cargo fmt --check)

echo "== cargo clippy"
cargo clippy --workspace --all-targets -q -- -D warnings

echo "== fuzz: every target for ${FUZZ_SECONDS:=20}s"
mkdir -p fuzz/corpus/mud_pipeline fuzz/corpus/mud_signature fuzz/corpus/context_toml fuzz/corpus/capture_reader
if [ -d ../shared/corpus/mud ]; then
  find ../shared/corpus/mud -type f \( -name '*.json' -o -name '*.mud' -o -name 'MUDFILE.NEST' \) \
    -exec cp {} fuzz/corpus/mud_pipeline/ \;
fi
cp samples/mud/*.json fuzz/corpus/mud_pipeline/
cp samples/mud/*.p7s fuzz/corpus/mud_signature/
cp samples/context.toml fuzz/corpus/context_toml/
mkdir -p fuzz/corpus/assess_declaration
cp samples/declarations/*.toml fuzz/corpus/assess_declaration/
if [ -d ../shared/corpus/pcap ]; then
  # Small captures only: the fuzzer mutates them many times a second.
  find ../shared/corpus/pcap -type f \( -name '*.pcap' -o -name '*.pcapng' \) -size -64k \
    -exec cp {} fuzz/corpus/capture_reader/ \;
fi
for t in $(cargo +nightly fuzz list); do
  echo "-- $t"
  cargo +nightly fuzz run "$t" -- -max_total_time="$FUZZ_SECONDS" -rss_limit_mb=4096 -print_final_stats=1 2>&1 \
    | grep -E '^(Done|stat::number_of_executed_units)|panicked|ERROR|SUMMARY' || true
  if [ -d "fuzz/artifacts/$t" ] && [ -n "$(ls -A "fuzz/artifacts/$t" 2>/dev/null)" ]; then
    echo "fuzz target $t found a failing input: fuzz/artifacts/$t" >&2
    exit 1
  fi
done

echo "== benchmarks build (run them with scripts/bench.sh)"
cargo bench --workspace --no-run -q 2>&1 | grep -v '^ *Executable' || true

echo "== cargo test"
log=$(mktemp)
set +e
cargo test --workspace 2>&1 | tee "$log"
status=${PIPESTATUS[0]}
set -e
passed=$(grep -oE 'test result: [a-zA-Z]+\. [0-9]+ passed' "$log" | awk '{s+=$4} END {print s+0}')
failed=$(grep -oE '[0-9]+ failed;' "$log" | awk '{s+=$1} END {print s+0}')
rm -f "$log"
echo
echo "tests: $passed passed, $failed failed"
exit "$status"
