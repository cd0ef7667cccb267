#!/usr/bin/env bash
# What detection costs: `warden analyze --no-detect` (the report alone)
# against `warden analyze` (every detector), RUNS times each, alternating,
# on the generated capture (target/bench-data, made by bench-traffic.sh's
# generator if missing) and on the corpus's Ethernet captures. Prints the
# packets per second of each run and the overhead of the medians. The goal
# (detection costs at most 30 % of plain analyze throughput) is a figure
# to read here, never a test assertion.
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${RUNS:-3}
PACKETS=${PACKETS:-10000000}
as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo -n "$@"; fi; }
if ! command -v bc >/dev/null || ! command -v capinfos >/dev/null; then
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq bc tshark >/dev/null
fi
cargo build --release -q -p warden -p warden-bench
B=target/release
D=target/bench-data
mkdir -p "$D"
GEN="$D/gen-$PACKETS.pcap"
[ -f "$GEN" ] || "$B/gen-traffic" "$GEN" "$PACKETS" 500 42
files=("$GEN")
[ -f "$D/corpus-ethernet.pcap" ] && files+=("$D/corpus-ethernet.pcap")
secs() { local t0 t1; t0=$(date +%s.%N); "$@" >/dev/null 2>&1 || true; t1=$(date +%s.%N); echo "$t1 - $t0" | bc -l; }
median() { printf '%s\n' "$@" | sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
for f in "${files[@]}"; do
  pkts=$(capinfos -c -M "$f" | awk '/Number of packets/ {print $NF}')
  plain=(); full=()
  for _ in $(seq "$RUNS"); do
    plain+=("$(secs "$B/warden" analyze --no-detect --json "$f")")
    full+=("$(secs "$B/warden" analyze --json "$f")")
  done
  mp=$(median "${plain[@]}"); mf=$(median "${full[@]}")
  echo "== $(basename "$f"): $pkts packets"
  printf '  analyze --no-detect: %s s  (median %.2f s, %.2f Mpps)\n' "${plain[*]}" "$mp" "$(echo "$pkts / $mp / 1000000" | bc -l)"
  printf '  analyze (detect):    %s s  (median %.2f s, %.2f Mpps)\n' "${full[*]}" "$mf" "$(echo "$pkts / $mf / 1000000" | bc -l)"
  printf '  detection costs %.1f %% of the plain throughput\n' "$(echo "(1 - $mp / $mf) * 100" | bc -l)"
done
