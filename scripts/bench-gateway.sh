#!/usr/bin/env bash
# The gateway's figures, on the namespace lab (scripts/gateway-lab/lab.sh):
#
#  1. apply latency: DEVICES (200) new devices announce a MUD URL whose
#     verified file is cached; from the traffic engine handing over each
#     DHCP request to its rules being live in the kernel (p50, p99);
#  2. gateway RSS with 100 devices learned;
#  3. forwarding rate through gw (64-byte UDP, iperf3 -u -l 64 -b 0, RUN_SECONDS
#     per run) with 0, 1, 100, 1000 and 5000 device policies loaded, in
#     warden's form (verdict map + per-device chains) and in the linear
#     form of osMUD / the NIST reference, in the same run. The benchmark
#     flow is marked notrack so that every packet meets the device rules,
#     as the first packet of every connection does (with conntrack, an
#     established flow skips them in both forms).
#  4. bridged forwarding (device to device across the LAN bridge, as OpenWrt
#     runs it: no br_netfilter) with the same policy counts, through the
#     bridge table warden emits beside the inet one;
#  5. quarantine to the last packet of a live session: QUARANTINES (20)
#     times, a TCP session and a UDP exchange with the cloud's echo service
#     (a message every 20 ms each), quarantine asked through the API, the
#     time from the request to the last echo (p50, p99, max), then release.
# Needs root; installs iperf3 if missing. Everything stays in the lab's
# namespaces, which are removed at the end.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib/packages.sh
need_packages iperf3:iperf3 dhcpcd:dhcpcd-base dnsmasq:dnsmasq-base python3:python3 curl:curl
DEVICES=${DEVICES:-200} RUN_SECONDS=${RUN_SECONDS:-5}
# PROFILE=stripped measures the size-optimised build routers run.
PROFILE=${PROFILE:-release}
cargo build --release -q -p warden-bench
# WARDEN=/path/to/warden measures that binary instead (an older build, say).
if [ -z "${WARDEN:-}" ]; then
  cargo build --profile "$PROFILE" -q -p warden --bin warden
  WARDEN=${CARGO_TARGET_DIR:-$PWD/target}/$PROFILE/warden
fi
export WARDEN
tag=b$$ dir=${BENCH_DIR:-$(mktemp -d)}
IOT=wdn-$tag-iot IOT2=wdn-$tag-iot2 GW=wdn-$tag-gw CLOUD=wdn-$tag-cloud
trap 'bash scripts/gateway-lab/lab.sh down $tag $dir; [ -n "${BENCH_DIR:-}" ] || rm -rf $dir' EXIT
bash scripts/gateway-lab/lab.sh up "$tag" "$dir" 2>/dev/null
T=$(cat "$dir/state/api-token")
api() { ip netns exec "$GW" curl -s -H "Authorization: Bearer $T" "http://10.77.0.1:8443$1"; }
for _ in $(seq 100); do api /api/v1/devices/02:77:00:00:00:01 | grep -q '"state":"enforced"' && break; sleep 0.2; done

echo "== 1. apply latency: $DEVICES new devices announcing a cached MUD URL"
half=$((DEVICES / 2))
ip netns exec "$IOT" python3 scripts/gateway-lab/inject.py iot0 https://mud.example/device.json "$half" 0.1 1 >/dev/null
sleep 2
pid=$(cat "$dir/warden.pid")
rss100=$(awk '/VmRSS/ {print $2}' /proc/"$pid"/status)
# What the RSS is made of: the process's own memory (heap, stacks) and
# pages of mapped files (the binary, its libraries, libpcap's ring).
rss_parts=$(awk '/RssAnon/ {a=$2} /RssFile/ {f=$2} /RssShmem/ {s=$2} END {printf "anonymous %d kB, file-backed %d kB, shared %d kB", a, f, s}' /proc/"$pid"/status)
ip netns exec "$IOT" python3 scripts/gateway-lab/inject.py iot0 https://mud.example/device.json "$((DEVICES - half))" 0.1 $((half + 1)) >/dev/null
sleep 2
grep -o 'live [0-9.]* ms' "$dir/warden.log" | awk '{print $2}' | sort -g > "$dir/lat"
n=$(wc -l < "$dir/lat")
pct() { awk -v p="$1" '{a[NR]=$1} END {i=int((NR*p/100)+0.999); if (i<1) i=1; print a[i]}' "$dir/lat"; }
printf '  %d applies: p50 %.2f ms, p99 %.2f ms, max %.2f ms (each compiles the whole ruleset and sends the kernel only what changed)\n' \
  "$n" "$(pct 50)" "$(pct 99)" "$(tail -1 "$dir/lat")"
echo "== 2. gateway RSS with $((half + 2)) devices: $((rss100 / 1024)) MB ($rss100 kB: $rss_parts); peak $(awk '/VmHWM/ {print $2}' /proc/"$pid"/status) kB after $((DEVICES + 2))"

echo "== 5. quarantine to the last packet of a live session (${QUARANTINES:=20} times)"
: > "$dir/cut"
for i in $(seq "$QUARANTINES"); do
  ip netns exec "$IOT" python3 scripts/gateway-lab/client.py iot0 session api.cloud.example 8001 2.5 > "$dir/session" &
  sp=$!
  for _ in $(seq 100); do grep -q live "$dir/session" && break; sleep 0.02; done
  asked=$(date +%s.%N)
  ip netns exec "$GW" curl -s -o /dev/null -X POST -H "Authorization: Bearer $T" \
    http://10.77.0.1:8443/api/v1/devices/02:77:00:00:00:01/quarantine
  wait $sp
  awk -v a="$asked" '/^last/ {t=$3; if ($5 > t) t=$5; printf "%.3f\n", (t - a) * 1000}' "$dir/session" >> "$dir/cut"
  ip netns exec "$GW" curl -s -o /dev/null -X POST -H "Authorization: Bearer $T" \
    http://10.77.0.1:8443/api/v1/devices/02:77:00:00:00:01/release
  sleep 0.3
done
sort -g "$dir/cut" -o "$dir/cut"
cpct() { awk -v p="$1" '{a[NR]=$1} END {i=int((NR*p/100)+0.999); if (i<1) i=1; print a[i]}' "$dir/cut"; }
printf '  %d quarantines: request to last echo p50 %.1f ms, p99 %.1f ms, max %.1f ms\n' \
  "$(wc -l < "$dir/cut")" "$(cpct 50)" "$(cpct 99)" "$(tail -1 "$dir/cut")"

[ "${FORWARDING:-1}" = 0 ] && exit 0
echo "== 3. forwarding, 64-byte UDP for ${RUN_SECONDS} s per run (received packets per second)"
kill -9 "$pid"; sleep 0.3
ip netns exec "$GW" nft delete table inet warden 2>/dev/null || true
ip netns exec "$GW" nft delete table bridge warden 2>/dev/null || true
ip netns exec "$CLOUD" iperf3 -s -B 198.51.100.11 -D --logfile "$dir/iperf.log"
sleep 0.5
ip netns exec "$GW" nft -f - <<'NFT'
table inet benchraw {
  chain pre {
    type filter hook prerouting priority -300;
    udp dport 5201 notrack
    udp sport 5201 notrack
  }
}
NFT
mac=02:77:00:00:00:01
ip=$(ip netns exec "$IOT" ip -4 -o addr show iot0 | awk '{print $4}' | cut -d/ -f1)
rate() {
  ip netns exec "$IOT" iperf3 -c 198.51.100.11 -B "$ip" -u -l 64 -b 0 -t "$RUN_SECONDS" -J 2>/dev/null \
    | python3 -c 'import json,sys; e=json.load(sys.stdin)["end"]["sum"]; print(int((e["packets"]-e["lost_packets"])/e["seconds"]))' 2>/dev/null || echo 0
}
base=$(rate)
printf '  %-8s %14s %14s\n' devices "warden (map)" "linear"
printf '  %-8s %14s %14s   (no firewall)\n' 0 "$base" "$base"
for n in 1 100 1000 5000; do
  ${CARGO_TARGET_DIR:-target}/release/gen-ruleset map "$n" "$mac" "$ip" 198.51.100.11 5201 > "$dir/map.json"
  ip netns exec "$GW" nft -j -f "$dir/map.json"
  m=$(rate)
  ip netns exec "$GW" nft delete table inet warden
  ip netns exec "$GW" nft delete table bridge warden
  ${CARGO_TARGET_DIR:-target}/release/gen-ruleset linear "$n" "$mac" "$ip" 198.51.100.11 5201 > "$dir/linear.nft"
  ip netns exec "$GW" nft -f "$dir/linear.nft"
  l=$(rate)
  ip netns exec "$GW" nft delete table inet linear
  printf '  %-8s %9s %3d%% %9s %3d%%\n' "$n" "$m" $((m * 100 / (base > 0 ? base : 1))) "$l" $((l * 100 / (base > 0 ? base : 1)))
done

echo "== 4. bridged forwarding, device to device over br-lan (no br_netfilter), 64-byte UDP"
ip2=$(ip netns exec "$IOT2" ip -4 -o addr show iot0 | awk '{print $4}' | cut -d/ -f1)
ip netns exec "$IOT2" iperf3 -s -B "$ip2" -D --logfile "$dir/iperf2.log"
sleep 0.5
brate() {
  ip netns exec "$IOT" iperf3 -c "$ip2" -B "$ip" -u -l 64 -b 0 -t "$RUN_SECONDS" -J 2>/dev/null \
    | python3 -c 'import json,sys; e=json.load(sys.stdin)["end"]["sum"]; print(int((e["packets"]-e["lost_packets"])/e["seconds"]))' 2>/dev/null || echo 0
}
bbase=$(brate)
printf '  %-8s %14s\n' devices "warden bridge"
printf '  %-8s %14s   (no firewall)\n' 0 "$bbase"
for n in 1 100 1000 5000; do
  ${CARGO_TARGET_DIR:-target}/release/gen-ruleset map "$n" "$mac" "$ip" "$ip2" 5201 > "$dir/map.json"
  ip netns exec "$GW" nft -j -f "$dir/map.json"
  b=$(brate)
  ip netns exec "$GW" nft delete table inet warden
  ip netns exec "$GW" nft delete table bridge warden
  printf '  %-8s %9s %3d%%\n' "$n" "$b" $((b * 100 / (bbase > 0 ? bbase : 1)))
done
