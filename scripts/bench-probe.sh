#!/usr/bin/env bash
# The probe's TCP connect scan of 1,000 ports on a host in a network
# namespace, beside nmap -T4 -sT on the same host, in the same run.
# Two cases: every port answers (open or refused), and half the ports
# silently dropped (filtered, where timeouts decide). RUNS=3 by default.
# Needs root (namespaces); installs nmap if missing. Touches nothing outside
# the two namespaces it makes and removes.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib/packages.sh
need_packages nmap:nmap nft:nftables ip:iproute2 /usr/bin/time:time python3:python3
RUNS=${RUNS:-3}
cargo build --release -q -p warden
W=$PWD/target/release/warden
lab=wdn-bench-lab-$$ dev=wdn-bench-dev-$$
cleanup() {
  ip netns pids "$dev" 2>/dev/null | xargs -r kill 2>/dev/null || true
  ip netns del "$lab" 2>/dev/null || true
  ip netns del "$dev" 2>/dev/null || true
}
tf=$(mktemp)
trap 'cleanup; rm -f "$tf"' EXIT
ip netns add "$lab"; ip netns add "$dev"
ip link add bpa$$ netns "$lab" type veth peer name bpb$$ netns "$dev"
ip -n "$lab" addr add 10.214.0.1/24 dev bpa$$; ip -n "$dev" addr add 10.214.0.2/24 dev bpb$$
for n in "$lab" "$dev"; do ip -n "$n" link set lo up; done
ip -n "$lab" link set bpa$$ up; ip -n "$dev" link set bpb$$ up
# Ten open ports among the thousand.
ip netns exec "$dev" python3 -c '
import socket, threading
socks = []
for p in (21, 22, 23, 80, 443, 554, 1883, 8080, 8443, 9000):
    s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("10.214.0.2", p)); s.listen(128); socks.append(s)
    threading.Thread(target=lambda s=s: [c.close() for c, _ in iter(s.accept, None)], daemon=True).start()
threading.Event().wait()' &
sleep 0.5

measure() { # label, command...
  local label=$1; shift
  local t best="" all=""
  for _ in $(seq "$RUNS"); do
    /usr/bin/time -o "$tf" -f "%e" ip netns exec "$lab" "$@" >/dev/null 2>&1 || true
    t=$(tail -1 "$tf")
    all="$all $t"
    if [ -z "$best" ] || awk "BEGIN{exit !($t < $best)}"; then best=$t; fi
  done
  printf '  %-44s best %6.2f s   runs:%s\n' "$label" "$best" "$all"
}

# Run the open-port count inside the namespace (the host has no route).
W_ns() { ip netns exec "$lab" "$W" "$@"; }
echo "== open ports found: warden $(W_ns probe 10.214.0.2 --allow 10.214.0.0/24 --ports 1-1000 --scan-only --json | python3 -c 'import json,sys; print(len(json.load(sys.stdin)["open"]))'), nmap $(ip netns exec "$lab" nmap -T4 -sT -n -Pn -p 1-1000 10.214.0.2 | grep -c '/tcp *open')"
echo "== every port answers (open or refused; 1,000 ports, $RUNS runs each)"
measure "warden probe --scan-only (default rate 500/s)" "$W" probe 10.214.0.2 --allow 10.214.0.0/24 --ports 1-1000 --scan-only
measure "warden probe --scan-only --rate 100000" "$W" probe 10.214.0.2 --allow 10.214.0.0/24 --ports 1-1000 --scan-only --rate 100000
measure "nmap -T4 -sT -n -Pn -p 1-1000" nmap -T4 -sT -n -Pn -p 1-1000 10.214.0.2
# Half the ports (501-1000) silently dropped by the device.
ip netns exec "$dev" nft -f - <<'NFT'
table inet benchdrop {
  chain in {
    type filter hook input priority 0;
    tcp dport 501-1000 drop
  }
}
NFT
echo "== ports 501-1000 filtered (dropped without answer)"
measure "warden probe --scan-only (default rate 500/s)" "$W" probe 10.214.0.2 --allow 10.214.0.0/24 --ports 1-1000 --scan-only
measure "warden probe --scan-only --rate 100000" "$W" probe 10.214.0.2 --allow 10.214.0.0/24 --ports 1-1000 --scan-only --rate 100000
measure "nmap -T4 -sT -n -Pn -p 1-1000" nmap -T4 -sT -n -Pn -p 1-1000 10.214.0.2
