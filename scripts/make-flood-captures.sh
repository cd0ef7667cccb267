#!/usr/bin/env bash
# Records the flood captures of bench/detect/pcap/ with a real flood tool
# (hping3), in three network namespaces this script makes and removes:
#
#   wfl-dev     the device, 10.99.0.2/24, MAC 02:99:00:00:00:02, hping3
#   wfl-rtr     the router, 10.99.0.1 on the LAN, 198.51.100.1 outside;
#               dumpcap records the LAN link (96 bytes of each frame)
#   wfl-remote  the target, 198.51.100.7 (its kernel answers as it would)
#
# Every flood is bounded in packets and time; nothing leaves the namespaces.
# Usage: scripts/make-flood-captures.sh [OUT-DIR]   (default bench/detect/pcap)
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:-bench/detect/pcap}
mkdir -p "$out"
. scripts/lib/packages.sh
need_packages hping3:hping3 dumpcap:tshark ip:iproute2

D=wfl-dev R=wfl-rtr T=wfl-remote
down() {
  for ns in $D $R $T; do
    ip netns pids "$ns" 2>/dev/null | xargs -r kill -9 2>/dev/null || true
    ip netns del "$ns" 2>/dev/null || true
  done
}
trap down EXIT
down
for ns in $D $R $T; do ip netns add "$ns"; ip netns exec "$ns" ip link set lo up; done
ip link add lan0 netns $D type veth peer name lan netns $R
ip link add wan netns $R type veth peer name up0 netns $T
ip netns exec $D ip link set lan0 address 02:99:00:00:00:02 up
ip netns exec $D ip addr add 10.99.0.2/24 dev lan0
ip netns exec $D ip route add default via 10.99.0.1
ip netns exec $R ip link set lan address 02:99:00:00:00:01 up
ip netns exec $R ip addr add 10.99.0.1/24 dev lan
ip netns exec $R ip link set wan up
ip netns exec $R ip addr add 198.51.100.1/24 dev wan
ip netns exec $R sysctl -qw net.ipv4.ip_forward=1
ip netns exec $T ip link set up0 up
ip netns exec $T ip addr add 198.51.100.7/24 dev up0
ip netns exec $T ip route add default via 198.51.100.1
ip netns exec $D hping3 -1 -c 1 198.51.100.7 >/dev/null 2>&1

record() { # NAME HPING3-ARGS...
  local name=$1; shift
  local f="$out/$name.pcap"
  rm -f "$f"
  ip netns exec $R dumpcap -q -i lan -s 96 -P -w "$f" 2>/dev/null &
  local cap=$!
  sleep 1
  # The address resolution before the flood, as a real device would.
  ip netns exec $D hping3 -1 -c 1 198.51.100.7 >/dev/null 2>&1 || true
  timeout 30 ip netns exec $D hping3 "$@" 198.51.100.7 >/dev/null 2>&1 || true
  sleep 1
  kill -INT $cap; wait $cap 2>/dev/null || true
  echo "$f: $(stat -c %s "$f") bytes  (hping3 $*)"
}

# UDP to one DNS port, 400 bytes, a new source port per packet (hping3's
# default), 2,000 packets a second: the case no alert caught.
record udp-dns-400b-newsport-2kpps --udp -p 53 -d 400 -i u500 -c 6000
# The same at 1,000 a second, 120 bytes.
record udp-dns-120b-newsport-1kpps --udp -p 53 -d 120 -i u1000 -c 4000
# NTP's port, one fixed source port (-k), 48 bytes.
record udp-ntp-48b-fixedsport-2kpps --udp -p 123 -s 40000 -k -d 48 -i u500 -c 6000
# Random-looking destination ports (incremented), 400 bytes.
record udp-portsweep-400b-1kpps --udp -p ++1024 -d 400 -i u1000 -c 4000
# ICMP echo, 400 bytes.
record icmp-echo-400b-2kpps -1 -d 400 -i u500 -c 6000
# Spoofed sources (the MAC is the device's, every address is random).
record syn-spoofed-2kpps -S -p 80 --rand-source -i u500 -c 6000
record udp-spoofed-dns-400b-2kpps --udp -p 53 -d 400 --rand-source -i u500 -c 6000
# Below every threshold: 100 UDP packets a second for 5 s (benign).
record udp-dns-slow-100pps --udp -p 53 -d 60 -i u10000 -c 500
