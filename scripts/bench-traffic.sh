#!/usr/bin/env bash
# Traffic-engine benchmark, side by side in one run, on
#   (a) a generated capture (seeded, $PACKETS packets of IoT-like traffic:
#       DNS, TLS with SNI, MQTT, HTTP, NTP, mDNS, telnet scans), and
#   (b) the shared corpus's Ethernet captures concatenated.
# Tools: warden's full pipeline (warden analyze, with every detector; and
# with --no-detect, the report alone), warden's flow loop,
# warden's bare decode loop (the limit), nfpcapd (nfdump), softflowd -r,
# argus -r, and tshark -q -z conv,tcp (on (b) and a 1M-packet cut of (a):
# tshark keeps per-frame state and would need tens of GB for 10M).
# Every tool is single-threaded here (warden with --threads 1), so Mpps is
# per core; the -t2 rows are warden with two flow workers (same report). Prints figures;
# asserts nothing. softflowd exports NetFlow to 127.0.0.1 (loopback only).
set -euo pipefail
cd "$(dirname "$0")/.."
PACKETS=${PACKETS:-10000000}
as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo -n "$@"; fi; }
need=()
for t in nfpcapd:nfdump softflowd:softflowd argus:argus-server tshark:tshark mergecap:wireshark-common; do
  command -v "${t%%:*}" >/dev/null 2>&1 || need+=("${t##*:}")
done
if [ ${#need[@]} -gt 0 ]; then
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
fi
cargo build --release -q -p warden -p warden-bench
B=target/release
D=target/bench-data
mkdir -p "$D"
GEN="$D/gen-$PACKETS.pcap"
[ -f "$GEN" ] || "$B/gen-traffic" "$GEN" "$PACKETS" 500 42
[ -f "$D/gen-1m.pcap" ] || "$B/gen-traffic" "$D/gen-1m.pcap" 1000000 500 42
CORPUS="$D/corpus-ethernet.pcap"
if [ ! -f "$CORPUS" ]; then
  files=()
  while IFS= read -r f; do
    if capinfos -E "$f" 2>/dev/null | grep -q 'Ethernet$'; then files+=("$f"); fi
  done < <(find ../shared/corpus/pcap -name '*.pcap' -o -name '*.pcapng' | sort)
  mergecap -a -F pcap -w "$CORPUS" "${files[@]}"
fi

count() { capinfos -c -M "$1" | awk '/Number of packets/ {print $NF}'; }

# run NAME FILE CMD...: prints name, seconds, Mpps, peak RSS.
run() {
  local name=$1 file=$2; shift 2
  local pkts; pkts=$(count "$file")
  local tf; tf=$(mktemp)
  /usr/bin/time -o "$tf" -f '%e %M' "$@" >/dev/null 2>&1 || true
  local t; t=$(tail -1 "$tf"); rm -f "$tf"
  local secs=${t% *} rss=${t#* }
  awk -v n="$name" -v p="$pkts" -v s="$secs" -v r="$rss" -v base="${BASE_MPPS:-0}" \
    'BEGIN { mpps = (s > 0) ? p / s / 1e6 : 0;
             ratio = (mpps > 0 && base > 0) ? base / mpps : 0;
             printf "%-28s %10d pkts %8.2f s %8.2f Mpps %9.1f MB peak RSS", n, p, s, mpps, r / 1024;
             if (ratio > 0) printf "   warden full = %.2fx this", ratio;
             printf "\n" }' | tee -a "$D/last-run.txt"
}

for f in "$GEN" "$CORPUS" "$D/gen-1m.pcap"; do
  echo
  echo "== $(basename "$f")"
  tmp=$(mktemp -d)
  BASE_MPPS=0
  run "warden analyze --no-detect" "$f" "$B/warden" analyze --threads 1 --no-detect --json "$f"
  run "warden analyze (full)" "$f" "$B/warden" analyze --threads 1 --json "$f"
  BASE_MPPS=$(tail -1 "$D/last-run.txt" | awk '{for (i = 1; i < NF; i++) if ($(i + 1) == "Mpps") print $i}')
  # Sharded: 2 flow workers beside the reader and the merger (same report).
  run "warden analyze (full) -t2" "$f" "$B/warden" analyze --threads 2 --json "$f"
  run "warden --no-detect -t2" "$f" "$B/warden" analyze --threads 2 --no-detect --json "$f"
  run "warden flow loop" "$f" "$B/flow-loop" "$f"
  run "warden decode loop (limit)" "$f" "$B/decode-loop" "$f"
  run "nfpcapd (nfdump)" "$f" nfpcapd -r "$f" -w "$tmp"
  run "softflowd -r" "$f" softflowd -r "$f" -n 127.0.0.1:9 -v 9
  run "argus -r" "$f" argus -r "$f" -w "$tmp/out.argus"
  if [ "$f" != "$GEN" ] || [ "$PACKETS" -le 2000000 ]; then
    run "tshark -q -z conv,tcp" "$f" tshark -n -q -z conv,tcp -r "$f"
  fi
  rm -rf "$tmp"
done
echo
"$B/flow-loop" "$GEN" | sed 's/^/flow table: /'
