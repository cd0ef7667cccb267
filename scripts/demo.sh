#!/usr/bin/env bash
# Quick start, command 1: warden on the data shipped in samples/.
# Validates, explains, verifies and compiles the MUD files, analyses the
# sample captures, and has the kernel's own nft check the compiled ruleset
# (nft -c: nothing is applied to this machine).
set -euo pipefail
cd "$(dirname "$0")/.."

. scripts/lib/packages.sh
need_packages nft:nftables ip:iproute2 pkg-config:pkg-config dpkg:libssl-dev dpkg:libpcap-dev \
  dpkg:libssh2-1-dev /usr/share/ieee-data/oui.csv:ieee-data openssl:openssl \
  dnsmasq:dnsmasq-base dhcpcd:dhcpcd-base curl:curl python3:python3 socat:socat
if ! busybox --list 2>/dev/null | grep -qx telnetd; then
  need_packages dpkg:busybox-static
fi
cargo build --release -q
W=target/release/warden

if [ "$(id -u)" = 0 ]; then
  printf '\n\033[1m== The gateway: a device, warden on its router, and a small cloud, in network namespaces\033[0m\n'
  tag=demo$$ gdir=$(mktemp -d)
  gw_cleanup() { bash scripts/gateway-lab/lab.sh down "$tag" "$gdir" || true; rm -rf "$gdir"; }
  trap gw_cleanup EXIT
  echo "(a camera with dhcpcd announcing https://mud.example/device.json in DHCP option 161; a second device"
  echo " announcing a tampered file; dnsmasq for DHCP and DNS; an HTTPS MUD server with signed files)"
  WARDEN=$PWD/$W bash scripts/gateway-lab/lab.sh up "$tag" "$gdir" 2>/dev/null
  T=$(cat "$gdir/state/api-token")
  api() { ip netns exec "wdn-$tag-gw" curl -s -H "Authorization: Bearer $T" "http://10.77.0.1:8443$1"; }
  dev() { ip netns exec "wdn-$tag-iot" python3 scripts/gateway-lab/client.py iot0 "$@" || true; }
  for _ in $(seq 100); do api /api/v1/devices/02:77:00:00:00:01 | grep -q '"state":"enforced"' && break; sleep 0.2; done
  echo; echo "What warden learned (GET /api/v1/devices):"
  api /api/v1/devices | python3 -c 'import json,sys
for d in json.load(sys.stdin): print("  %s  %-15s %-9s %s" % (d["mac"], ",".join(d["addresses"]), d["state"], d["mud_url"] or "(no MUD URL)"))'
  echo; echo "What it fetched and verified (GET /api/v1/mud-files):"
  api /api/v1/mud-files | python3 -c 'import json,sys
for f in json.load(sys.stdin): print("  %-36s %-16s signature %-9s %s" % (f["url"], f["outcome"], f["signature"], f["error"] or f["signer"] or ""))'
  echo; echo "The camera's rules in the kernel (nft list chain inet warden from_027700000001):"
  ip netns exec "wdn-$tag-gw" nft list chain inet warden from_027700000001 | sed -n '2,5p'
  echo; echo "Allowed by its MUD file (api.cloud.example, TCP 8001):"; printf '  '; dev connect api.cloud.example 8001
  echo "Not allowed (198.51.100.10, TCP 8002):"; printf '  '; dev connect 198.51.100.10 8002 2
  echo; echo "Now the camera scans 40 hosts for Telnet, as a Mirai bot does:"; printf '  '; dev scan 198.51.100 20 59 23
  for _ in $(seq 50); do api /api/v1/devices/02:77:00:00:00:01 | grep -q '"state":"quarantined"' && break; sleep 0.2; done
  api /api/v1/alerts | python3 -c 'import json,sys
for a in json.load(sys.stdin): print("  alert %-15s %-6s %s: %s" % (a["kind"], a["severity"], a["mac"], a["explanation"][:110]))'
  echo "Quarantined: the allowed service is gone too:"; printf '  '; dev connect api.cloud.example 8001 2
  echo "What the camera's owner sees (http://10.77.0.1:8080/):"
  ip netns exec "wdn-$tag-iot" curl -s -m 5 --interface iot0 http://10.77.0.1:8080/ | sed 's/.*<body>//; s/<[^>]*>/ /g; s/  */ /g' | fold -s -w 100 | head -n 5 | sed 's/^/  /'
  echo; echo "After a factory reset the operator releases it (POST /api/v1/devices/02:77:00:00:00:01/release):"
  ip netns exec "wdn-$tag-gw" curl -s -X POST -H "Authorization: Bearer $T" http://10.77.0.1:8443/api/v1/devices/02:77:00:00:00:01/release \
    | python3 -c 'import json,sys; d=json.load(sys.stdin); print("  state:", d["state"], " policy:", d["policy"])'
  printf '  '; dev connect api.cloud.example 8001
  echo; echo "The household's window: the dashboard on https://10.77.0.1:9443/ (warden's own certificate):"
  grep -o 'certificate SHA-256 fingerprint .*' "$gdir/warden.log" | head -1 | sed 's/^/  /'
  code=$(grep -o '"code": "[0-9a-f]*"' "$gdir/warden.log" | head -1 | sed 's/.*: "//; s/"//')
  pw=$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')
  ip netns exec "wdn-$tag-gw" curl -sk -o /dev/null -d "code=$code&name=owner&password=$pw" https://10.77.0.1:9443/setup
  jar=$gdir/demo-cookies
  ip netns exec "wdn-$tag-gw" curl -sk -o /dev/null -c "$jar" -d "name=owner&password=$pw" https://10.77.0.1:9443/login
  echo "  The owner account made with the setup code from the log; its device list:"
  ip netns exec "wdn-$tag-gw" curl -sk -b "$jar" https://10.77.0.1:9443/devices \
    | python3 -c 'import re,sys,html
for row in re.findall(r"<tr class=.*?</tr>", sys.stdin.read(), re.S):
    cells = [html.unescape(re.sub(r"<[^>]+>", " ", c)).split() for c in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)]
    print("  " + " | ".join(" ".join(c) for c in cells))'
  if [ "${KEEP:-0}" = 1 ]; then
    # From this machine's browser: a relay on this machine's loopback into
    # the gateway's namespace (nothing else is opened).
    socat TCP-LISTEN:9443,bind=127.0.0.1,fork,reuseaddr \
      EXEC:"ip netns exec wdn-$tag-gw socat STDIO TCP\:10.77.0.1\:9443" &
    relay=$!
    echo; echo "The lab stays up. Open https://127.0.0.1:9443/ in a browser on this machine (the certificate is"
    echo "warden's own: compare the fingerprint above), log in as owner with password $pw."
    echo "Press Enter to take everything down."
    read -r _ || true
    kill "$relay" 2>/dev/null || true
  fi
  gw_cleanup
  trap - EXIT
fi
G=target/release/gen-attack
S=samples/mud
step() { printf '\n\033[1m== %s\033[0m\n$ %s\n' "$1" "${*:2}"; "${@:2}" || true; }

step "Validate RFC 8520 files (strict, the gateway's default)" \
  $W mud validate $S/Luminaire_150.json $S/smart-plug-transparency.json $S/same-manufacturer.json $S/mudfile-tcp-direction-test.json
step "A pre-RFC file is rejected in strict mode, with the JSON pointer of each problem" \
  $W mud validate $S/lightbulb2000.json
step "...and accepted in legacy mode, every leniency a warning" \
  $W mud validate --legacy $S/lightbulb2000.json
step "What may this smart plug do? (plain words, with its RFC 9472 SBOM and vulnerability links)" \
  $W mud show $S/smart-plug-transparency.json
step "What may an Amazon Echo do, according to its (legacy) profile?" \
  $W mud show --legacy $S/amazonEchoMud.json
step "Verify the Cisco luminaire's CMS signature as of 2019 (valid then)" \
  $W mud verify $S/Luminaire_150.json --signature $S/Luminaire_150.p7s --trust $S/luminaire-cacert.pem --at 2019-01-01T00:00:00Z
step "...and today (its CA expired in 2019, so it must fail)" \
  $W mud verify $S/Luminaire_150.json --signature $S/Luminaire_150.p7s --trust $S/luminaire-cacert.pem
step "Compile the smart plug for one device in the sample home network (nft text form)" \
  $W mud compile $S/smart-plug-transparency.json --device 02:00:00:00:00:01,192.168.1.10,fd00:1::10 --context samples/context.toml

step "Analyse a smart plug joining a network: identity, vendor, and whom it talks to, by name" \
  $W analyze samples/pcap/tplink-hs110-setup.pcap
step "Devices announcing their MUD URL over DHCP and LLDP" \
  $W analyze samples/pcap/dhcp-mud.pcap samples/pcap/lldp_mudurl.pcap

gen=$(mktemp -d)
"$G" mirai-telnet-scan "$gen/mirai-scan.pcap" 2>/dev/null
"$G" udp-flood-out "$gen/udp-flood.pcap" 2>/dev/null
step "Detect: a device scanning for Telnet like a Mirai bot (a synthetic capture from gen-attack; alerts only)" \
  sh -c "$W analyze '$gen/mirai-scan.pcap' | sed -n '/^alerts/,\$p'"
step "Detect: the same device flooding a host with UDP (synthetic; alerts only)" \
  sh -c "$W analyze '$gen/udp-flood.pcap' | sed -n '/^alerts/,\$p'"
step "Detect: a Telnet login in cleartext (a real capture)" \
  $W analyze samples/pcap/telnet-login.pcap
step "Write a MUD profile for the smart plug from what it did (strict RFC 8520)" \
  $W profile samples/pcap/tplink-hs110-setup.pcap --device 50:c7:bf:00:c7:03 --mud-url https://plug.example.com/hs110
$W profile samples/pcap/tplink-hs110-setup.pcap --device 50:c7:bf:00:c7:03 --mud-url https://plug.example.com/hs110 \
  > "$gen/hs110.json" 2>/dev/null
step "Check the plug's traffic against that profile (0 violations expected)" \
  $W analyze samples/pcap/tplink-hs110-setup.pcap --bind "50:c7:bf:00:c7:03=$gen/hs110.json"
step "...and the Mirai-scan capture against the plug's profile, as if the plug had been infected" \
  sh -c "$W analyze '$gen/mirai-scan.pcap' --bind '02:00:00:00:00:50=$gen/hs110.json' | tail -n 12"
rm -rf "$gen"

out=$(mktemp -d)
$W mud compile $S/smart-plug-transparency.json --device 02:00:00:00:00:01,192.168.1.10,fd00:1::10 \
  --context samples/context.toml --format json > "$out/plug.json"
printf '\n\033[1m== The kernel checks the JSON ruleset (nft -c -j -f, inside a throwaway network namespace)\033[0m\n'
ns="warden-demo-$$"
if as_root ip netns add "$ns" 2>/dev/null; then
  if as_root ip netns exec "$ns" nft -c -j -f "$out/plug.json"; then echo "nft: ruleset accepted"; fi
  as_root ip netns del "$ns"
else
  echo "(skipped: creating a network namespace needs root)"
fi
rm -rf "$out"

printf '\n\033[1m== Assurance: EN 303 645 and the regimes around it\033[0m\n'
step "How UK PSTI maps to EN 303 645 provisions" $W standards crosswalk uk-psti
step "Assess a hardened plug from its maker's declaration alone (not tested: the label says so)" \
  sh -c "$W assess --declaration samples/declarations/hardened-plug.toml | head -n 16"

# A weak camera in a network namespace: BusyBox telnetd with a password from
# Mirai's list and an OpenSSL server that speaks only TLS 1.0/1.1. Probed
# from a second namespace; everything is removed afterwards.
lab="wdn-demo-lab-$$" dev="wdn-demo-cam-$$" tmp=$(mktemp -d)
demo_cleanup() {
  ip netns pids "$dev" 2>/dev/null | xargs -r kill 2>/dev/null || true
  ip netns del "$lab" 2>/dev/null || true
  ip netns del "$dev" 2>/dev/null || true
  rm -rf "/etc/netns/$dev" "$tmp"
}
if [ "$(id -u)" = 0 ] && ip netns add "$lab" 2>/dev/null; then
  trap demo_cleanup EXIT
  mkdir -p "/etc/netns/$dev"
  printf 'root:x:0:0:root:/root:/bin/sh\n' > "/etc/netns/$dev/passwd"
  printf 'root:%s:19000:0:99999:7:::\n' "$(openssl passwd -6 klv123)" > "/etc/netns/$dev/shadow"
  printf 'nameserver 127.0.0.1\n' > "/etc/netns/$dev/resolv.conf"
  ip netns add "$dev"
  ip link add wdemo$$a netns "$lab" type veth peer name wdemo$$b netns "$dev"
  ip -n "$lab" addr add 10.215.0.1/24 dev wdemo$$a
  ip -n "$dev" addr add 10.215.0.2/24 dev wdemo$$b
  ip -n "$lab" link set wdemo$$a up; ip -n "$dev" link set wdemo$$b up; ip -n "$dev" link set lo up
  ln -s /bin/busybox "$tmp/login"
  ip netns exec "$dev" busybox telnetd -F -p 23 -b 10.215.0.2 -l "$tmp/login" >/dev/null 2>&1 &
  openssl req -x509 -newkey rsa:2048 -nodes -keyout "$tmp/k.pem" -out "$tmp/c.pem" -days 30 -subj /CN=cam.example >/dev/null 2>&1
  ip netns exec "$dev" openssl s_server -accept 10.215.0.2:443 -cert "$tmp/c.pem" -key "$tmp/k.pem" \
    -no_tls1_2 -no_tls1_3 -cipher 'DEFAULT:@SECLEVEL=0' -www -quiet >/dev/null 2>&1 &
  sleep 1
  step "Probe the weak camera (only 10.215.0.0/24 is allowed; Mirai's passwords, TLS, brute force)" \
    ip netns exec "$lab" $W probe 10.215.0.2 --allow 10.215.0.0/24 --ports 22,23,80,443,2323,8080 --login-parallel 8 --brute-force 4
  step "The probe refuses an address outside --allow (nothing is sent)" \
    ip netns exec "$lab" $W probe 10.215.1.9 --allow 10.215.0.0/24
  ip netns exec "$lab" $W probe 10.215.0.2 --allow 10.215.0.0/24 --ports 22,23,80,443,2323,8080 --login-parallel 8 --brute-force 4 --json \
    > "$tmp/probe.json" 2>/dev/null || true
  mkdir -p target/demo
  step "Assess it: the maker claims everything; the probe shows otherwise" \
    sh -c "$W assess --declaration samples/declarations/weak-camera.toml --probe '$tmp/probe.json' \
      --html target/demo/weak-camera.html --label target/demo/weak-camera.svg --oscal target/demo/weak-camera.oscal.json \
      --json > target/demo/weak-camera.json; $W assess --declaration samples/declarations/weak-camera.toml --probe '$tmp/probe.json' | sed -n '/^Regimes/,\$p'"
  step "Would a hospital buy it? (samples/policies/healthcare.toml)" \
    $W policy check --policy samples/policies/healthcare.toml target/demo/weak-camera.json
  echo "The report, label and OSCAL results are in target/demo/ (weak-camera.html, .svg, .oscal.json)."
else
  echo "(probe demo skipped: it needs root to make network namespaces)"
fi
