#!/usr/bin/env bash
# A small network in three namespaces, for warden's gateway test and demo:
#
#   iot    a device: dhcpcd on iot0 announces https://mud.example/device.json
#          (DHCP option 161)
#   iot2   another: dhcpcd on iot0 announces a tampered file
#   gw     warden gateway + dnsmasq (DHCP and DNS), bridge br-lan 10.77.0.1/24,
#          forwarding to wan 198.51.100.1/24
#   cloud  198.51.100.10 mud.example (HTTPS MUD server, tcp/8002: not allowed),
#          198.51.100.11 api.cloud.example (tcp/8001: allowed by the MUD file),
#          198.51.100.20-59 hosts for the telnet-scan scenario
#
# Usage: lab.sh up TAG DIR      make it all (PKI, signed MUD files, daemons) in DIR
#        lab.sh gateway TAG DIR start warden gateway (again) in the gw namespace
#        lab.sh newmac TAG DIR  the camera comes back with a new MAC (02:77:00:00:00:09)
#        lab.sh reset TAG DIR   the neighbour is factory-reset (dhcpcd again, new identity)
#        lab.sh down TAG DIR    remove every namespace, process and /etc/netns file
# Traffic stays inside the namespaces. Each namespace has its own
# /etc/netns/NAME/resolv.conf, and dhcpcd runs with its hooks off, so the
# machine's /etc/resolv.conf and hostname are never touched.
set -euo pipefail
cmd=$1 tag=$2 dir=$3
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
IOT=wdn-$tag-iot IOT2=wdn-$tag-iot2 GW=wdn-$tag-gw CLOUD=wdn-$tag-cloud
W=${WARDEN:-$root/target/debug/warden}
# The unprivileged user the gateway runs as (no passwd entry is needed).
LAB_UID=${LAB_UID:-64500}
inns() { local ns=$1; shift; ip netns exec "$ns" "$@"; }

down() {
  for ns in "$IOT" "$IOT2" "$GW" "$CLOUD"; do
    ip netns pids "$ns" 2>/dev/null | xargs -r kill -9 2>/dev/null || true
  done
  sleep 0.2
  for ns in "$IOT" "$IOT2" "$GW" "$CLOUD"; do
    ip netns del "$ns" 2>/dev/null || true
    rm -rf "/etc/netns/$ns"
  done
}

pki() {
  local p=$dir/pki
  mkdir -p "$p"
  # The HTTPS CA and the server certificate for mud.example.
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 30 \
    -subj "/CN=warden lab HTTPS CA" -keyout "$p/https-ca.key" -out "$p/https-ca.pem" 2>/dev/null
  openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -subj "/CN=mud.example" \
    -keyout "$p/mud.key" -out "$p/mud.csr" 2>/dev/null
  printf 'subjectAltName=DNS:mud.example\nextendedKeyUsage=serverAuth\n' > "$p/mud.ext"
  openssl x509 -req -in "$p/mud.csr" -CA "$p/https-ca.pem" -CAkey "$p/https-ca.key" -CAcreateserial \
    -days 30 -extfile "$p/mud.ext" -out "$p/mud.pem" 2>/dev/null
  # The maker's MUD signing root and its signer.
  openssl req -x509 -newkey rsa:2048 -nodes -days 30 -subj "/CN=warden lab MUD signing root" \
    -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign \
    -keyout "$p/signer-ca.key" -out "$p/signer-ca.pem" 2>/dev/null
  openssl req -newkey rsa:2048 -nodes -subj "/CN=mud-signer.example" \
    -keyout "$p/signer.key" -out "$p/signer.csr" 2>/dev/null
  printf 'keyUsage=critical,digitalSignature\n' > "$p/signer.ext"
  openssl x509 -req -in "$p/signer.csr" -CA "$p/signer-ca.pem" -CAkey "$p/signer-ca.key" -CAcreateserial \
    -days 30 -extfile "$p/signer.ext" -out "$p/signer.pem" 2>/dev/null
}

mudfile() { # URL -> a MUD file allowing tcp/8001 and udp/8001 to api.cloud.example, DNS,
           # and its page on tcp/8080 to the local network
  cat <<JSON
{"ietf-mud:mud": {"mud-version": 1, "mud-url": "$1", "mud-signature": "${1%.json}.p7s",
  "last-update": "2026-11-01T00:00:00Z", "cache-validity": 48, "is-supported": true,
  "systeminfo": "warden lab camera", "mfg-name": "Lab Cams",
  "extensions": ["transparency"],
  "ietf-mud-transparency:transparency": {"sbom-url": "https://mud.example/sbom.spdx.json"},
  "from-device-policy": {"access-lists": {"access-list": [{"name": "from"}, {"name": "from6"}]}},
  "to-device-policy": {"access-lists": {"access-list": [{"name": "to"}, {"name": "to6"}]}}},
 "ietf-access-control-list:acls": {"acl": [
  {"name": "from", "type": "ipv4-acl-type", "aces": {"ace": [
    {"name": "api", "matches": {"ipv4": {"protocol": 6, "ietf-acldns:dst-dnsname": "api.cloud.example"},
      "tcp": {"destination-port": {"operator": "eq", "port": 8001}, "ietf-mud:direction-initiated": "from-device"}},
     "actions": {"forwarding": "accept"}},
    {"name": "api-udp", "matches": {"ipv4": {"protocol": 17, "ietf-acldns:dst-dnsname": "api.cloud.example"},
      "udp": {"destination-port": {"operator": "eq", "port": 8001}}}, "actions": {"forwarding": "accept"}},
    {"name": "dns", "matches": {"ipv4": {"protocol": 17}, "udp": {"destination-port": {"operator": "eq", "port": 53}},
      "ietf-mud:mud": {"controller": "urn:ietf:params:mud:dns"}}, "actions": {"forwarding": "accept"}}]}},
  {"name": "to", "type": "ipv4-acl-type", "aces": {"ace": [
    {"name": "lan-page", "matches": {"ipv4": {"protocol": 6}, "tcp": {"destination-port": {"operator": "eq", "port": 8080}},
      "ietf-mud:mud": {"local-networks": [null]}}, "actions": {"forwarding": "accept"}},
    {"name": "api", "matches": {"ipv4": {"protocol": 6, "ietf-acldns:src-dnsname": "api.cloud.example"},
      "tcp": {"source-port": {"operator": "eq", "port": 8001}}}, "actions": {"forwarding": "accept"}}]}},
  {"name": "from6", "type": "ipv6-acl-type", "aces": {"ace": [
    {"name": "api6", "matches": {"ipv6": {"protocol": 6, "ietf-acldns:dst-dnsname": "api.cloud.example"},
      "tcp": {"destination-port": {"operator": "eq", "port": 8001}, "ietf-mud:direction-initiated": "from-device"}},
     "actions": {"forwarding": "accept"}}]}},
  {"name": "to6", "type": "ipv6-acl-type", "aces": {"ace": [
    {"name": "lan-page6", "matches": {"ipv6": {"protocol": 6}, "tcp": {"destination-port": {"operator": "eq", "port": 8080}},
      "ietf-mud:mud": {"local-networks": [null]}}, "actions": {"forwarding": "accept"}}]}}]}}
JSON
}

# The maker's tools, as a maker would use them: `warden mud new` puts the
# maker's details around the access lists of a profile, `warden mud sign`
# writes the detached DER CMS signature (RFC 8520 section 13).
publish() { # URL FILE: the MUD file for URL, made and signed into FILE and FILE.p7s
  local profile=$dir/profile-$(basename "$2")
  mudfile "$1" > "$profile"
  "$W" mud new "$profile" --mud-url "$1" --mfg-name "Lab Cams" --model-name "Cam 1" \
    --systeminfo "warden lab camera" --sbom-url https://mud.example/sbom.spdx.json \
    --last-update 2026-11-01T00:00:00Z --out "$2"
  "$W" mud sign "$2" --key "$dir/pki/signer.key" --cert "$dir/pki/signer.pem" 2>/dev/null
}

wait_for() { # FILE TEXT
  for _ in $(seq 100); do grep -q "$2" "$1" 2>/dev/null && return 0; sleep 0.1; done
  echo "lab: $1 never said '$2'" >&2; cat "$1" >&2 || true; return 1
}

gateway() {
  local cfg=$dir/gateway.toml
  cat > "$cfg" <<TOML
lan-interfaces = ["br-lan"]
gateway-address = "10.77.0.1"
local-networks = ["10.77.0.0/24", "fd77::/64"]
state-dir = "$dir/state"
deployment = "home"
unknown-devices = "observe"
api-listen = "10.77.0.1:8443"
remediation-listen = "10.77.0.1:8080"
web-listen = "10.77.0.1:9443"
[mud]
signature = "require"
trust = ["$dir/pki/signer-ca.pem"]
https-roots = ["$dir/pki/https-ca.pem"]
# The lab's cloud uses documentation addresses, which the fetcher refuses
# unless named here (as an operator names an internal MUD server).
allow-prefixes = ["198.51.100.0/24", "2001:db8:100::/64"]
connect-timeout-ms = 3000
total-timeout-ms = 8000
[support]
# What an office does when a device's security updates end (a home only
# tells): the lab shows the restriction in the kernel.
at-end = "internet-only"
TOML
  : > "$dir/warden.log"
  # As packaging/debian/warden.service runs it: not root but a user of its
  # own (here a uid with no name, $LAB_UID), with only CAP_NET_ADMIN,
  # CAP_NET_RAW and CAP_NET_BIND_SERVICE (ambient, so that the nft it runs
  # has them too), no new privileges, its state directory its own with mode
  # 0700, and 1,024 open files at most. WARDEN_LAB_AS_ROOT=1 runs it as root.
  local caps=net_admin,net_raw,net_bind_service
  local as_user=(setpriv --reuid="$LAB_UID" --regid="$LAB_UID" --clear-groups
    --inh-caps="-all,+${caps//,/,+}" --ambient-caps="-all,+${caps//,/,+}"
    --bounding-set="-all,+${caps//,/,+}" --no-new-privs)
  local gw_bin=$W
  if [ "${WARDEN_LAB_AS_ROOT:-0}" = 1 ]; then
    as_user=()
  else
    chown -R "$LAB_UID:$LAB_UID" "$dir/state"
    chmod 0700 "$dir/state"
    # The lab's directory may be private (mktemp -d): the gateway's user
    # must pass through it to its configuration, trust roots and state.
    chmod go+x "$dir"
    # So may the checkout the binary was built in: the gateway runs from a
    # copy in the lab directory (renamed into place: a running copy is
    # never overwritten).
    mkdir -p "$dir/bin"
    cp "$W" "$dir/bin/.warden.new"
    chmod 0755 "$dir/bin" "$dir/bin/.warden.new"
    mv -f "$dir/bin/.warden.new" "$dir/bin/warden"
    gw_bin=$dir/bin/warden
  fi
  ip netns exec "$GW" prlimit --nofile=1024:1024 "${as_user[@]}" \
    env ${WARDEN_TRACE_APPLY:+WARDEN_TRACE_APPLY=1} \
    "$gw_bin" gateway --config "$cfg" >> "$dir/warden.log" 2>&1 &
  echo $! > "$dir/warden.pid"
  wait_for "$dir/warden.log" "warden gateway: ready"
}

up() {
  mkdir -p "$dir/www" "$dir/state"
  down
  for ns in "$IOT" "$IOT2" "$GW" "$CLOUD"; do mkdir -p "/etc/netns/$ns"; done
  echo "nameserver 10.77.0.1" > "/etc/netns/$IOT/resolv.conf"
  echo "nameserver 10.77.0.1" > "/etc/netns/$IOT2/resolv.conf"
  echo "nameserver 10.77.0.1" > "/etc/netns/$GW/resolv.conf"
  echo "nameserver 127.0.0.1" > "/etc/netns/$CLOUD/resolv.conf"
  for ns in "$IOT" "$IOT2" "$GW" "$CLOUD"; do ip netns add "$ns"; inns "$ns" ip link set lo up; done
  inns "$GW" ip link add br-lan type bridge
  local i=0 ns
  for ns in "$IOT" "$IOT2"; do
    ip link add iot0 netns "$ns" type veth peer name "lan$i" netns "$GW"
    inns "$GW" ip link set "lan$i" master br-lan up
    inns "$ns" ip link set iot0 address "02:77:00:00:00:0$((i + 1))" up
    i=$((i + 1))
  done
  inns "$GW" ip addr add 10.77.0.1/24 dev br-lan
  inns "$GW" ip link set br-lan up
  # IPv6 beside IPv4: the LAN fd77::/64, the cloud 2001:db8:100::/64.
  inns "$GW" ip -6 addr add fd77::1/64 dev br-lan nodad
  inns "$GW" sysctl -qw net.ipv6.conf.all.forwarding=1
  ip link add wan netns "$GW" type veth peer name cloud0 netns "$CLOUD"
  inns "$GW" ip addr add 198.51.100.1/24 dev wan
  inns "$GW" ip link set wan up
  inns "$GW" sysctl -qw net.ipv4.ip_forward=1
  # As OpenWrt runs its bridge: bridged frames never reach the IP hooks
  # (set inside the gateway's namespace only, never on the machine).
  if inns "$GW" sysctl -q net.bridge.bridge-nf-call-iptables >/dev/null 2>&1; then
    inns "$GW" sysctl -qw net.bridge.bridge-nf-call-iptables=0 net.bridge.bridge-nf-call-ip6tables=0
  fi
  inns "$CLOUD" ip link set cloud0 up
  for a in 10 11 $(seq 20 59); do inns "$CLOUD" ip addr add "198.51.100.$a/24" dev cloud0; done
  inns "$CLOUD" ip route add 10.77.0.0/24 via 198.51.100.1
  inns "$GW" ip -6 addr add 2001:db8:100::1/64 dev wan nodad
  for a in 10 11; do inns "$CLOUD" ip -6 addr add "2001:db8:100::$a/64" dev cloud0 nodad; done
  inns "$CLOUD" ip -6 route add fd77::/64 via 2001:db8:100::1
  # The devices' IPv6 addresses, as SLAAC would give them.
  inns "$IOT" ip -6 addr add fd77::100/64 dev iot0 nodad
  inns "$IOT" ip -6 route add default via fd77::1
  inns "$IOT2" ip -6 addr add fd77::200/64 dev iot0 nodad
  inns "$IOT2" ip -6 route add default via fd77::1

  pki
  publish https://mud.example/device.json "$dir/www/device.json"
  # The SBOM its MUD file points at (RFC 9472): a real SPDX example.
  cp "$root/crates/warden-lifecycle/tests/data/sbom/example11-sbom.spdx.json" "$dir/www/sbom.spdx.json"
  # The tampered file: one byte changed after signing.
  publish https://mud.example/tampered.json "$dir/www/tampered.json"
  sed -i 's/"port": 8001/"port": 8002/' "$dir/www/tampered.json"

  ip netns exec "$CLOUD" python3 "$here/cloud.py" "$dir/www" "$dir/pki/mud.pem" "$dir/pki/mud.key" 198.51.100.10 \
    "$dir/cloud.log" 198.51.100.11 > "$dir/cloud.out" 2>&1 &
  ip netns exec "$GW" dnsmasq -k -C /dev/null --no-resolv --no-hosts --interface=br-lan --bind-interfaces \
    --listen-address=10.77.0.1 --dhcp-range=10.77.0.100,10.77.0.150,12h --dhcp-option=3,10.77.0.1 \
    --dhcp-option=6,10.77.0.1 --dhcp-leasefile="$dir/dnsmasq.leases" --pid-file= \
    --address=/mud.example/198.51.100.10 --address=/api.cloud.example/198.51.100.11 \
    --address=/api.cloud.example/2001:db8:100::11 \
    --address=/inside.example/10.77.0.9 --log-dhcp > "$dir/dnsmasq.log" 2>&1 &
  wait_for "$dir/cloud.out" ready
  gateway
  # The devices: dhcpcd announcing their MUD URLs, hooks off, its run and
  # lease files on a tmpfs of their own.
  for ns in "$IOT" "$IOT2"; do
    local f=device
    [ "$ns" = "$IOT2" ] && f=tampered
    printf 'mudurl https://mud.example/%s.json\nnoipv6rs\nnoarp\n' "$f" > "$dir/dhcpcd-$f.conf"
    ip netns exec "$ns" sh -c "mount -t tmpfs tmpfs /run && mount -t tmpfs tmpfs /var/lib && mkdir -p /var/lib/dhcpcd && \
      exec dhcpcd -B -4 -L --nohook resolv.conf --nohook hostname -c /bin/true -f '$dir/dhcpcd-$f.conf' iot0" \
      > "$dir/dhcpcd-$f.log" 2>&1 &
  done
  for ns in "$IOT" "$IOT2"; do
    for _ in $(seq 150); do
      inns "$ns" ip -4 addr show iot0 | grep -q 'inet 10.77' && break
      sleep 0.1
    done
    inns "$ns" ip -4 addr show iot0 | grep 'inet 10.77' >&2
  done
}

newmac() { # the camera leaves, takes a new MAC address, and asks for a lease again
  local pid
  for pid in $(ip netns pids "$IOT"); do
    if tr '\0' ' ' < "/proc/$pid/cmdline" 2>/dev/null | grep -q '^dhcpcd '; then kill "$pid"; fi
  done
  sleep 0.5
  inns "$IOT" ip link set iot0 down
  inns "$IOT" ip link set iot0 address 02:77:00:00:00:09
  inns "$IOT" ip link set iot0 up
  ip netns exec "$IOT" sh -c "mount -t tmpfs tmpfs /run && mount -t tmpfs tmpfs /var/lib && mkdir -p /var/lib/dhcpcd && \
    exec dhcpcd -B -4 -L --nohook resolv.conf --nohook hostname -c /bin/true -f '$dir/dhcpcd-device.conf' iot0" \
    >> "$dir/dhcpcd-device.log" 2>&1 &
}

reset() { # the neighbour is factory-reset: dhcpcd starts again with a new
          # identity (a host name, new client state on a fresh tmpfs)
  local pid
  for pid in $(ip netns pids "$IOT2"); do
    if tr '\0' ' ' < "/proc/$pid/cmdline" 2>/dev/null | grep -q '^dhcpcd '; then kill "$pid"; fi
  done
  sleep 0.5
  ip netns exec "$IOT2" sh -c "mount -t tmpfs tmpfs /run && mount -t tmpfs tmpfs /var/lib && mkdir -p /var/lib/dhcpcd && \
    exec dhcpcd -B -4 -L --nohook resolv.conf --nohook hostname -h factory-fresh -c /bin/true -f '$dir/dhcpcd-tampered.conf' iot0" \
    >> "$dir/dhcpcd-tampered.log" 2>&1 &
}

case "$cmd" in
  up) up ;;
  newmac) newmac ;;
  reset) reset ;;
  gateway) gateway ;;
  down) down ;;
  *) echo "usage: lab.sh up|gateway|newmac|reset|down TAG DIR" >&2; exit 2 ;;
esac
