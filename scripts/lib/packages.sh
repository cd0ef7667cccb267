# Installs missing Debian packages without asking anything, and without
# starting their services on this machine (a policy-rc.d that says no is in
# place only while apt runs, and only if none was there).
# Usage: need_packages CMD-OR-FILE:PACKAGE ...
#   "nft:nftables" installs nftables unless the nft command exists;
#   "/usr/share/ieee-data/oui.csv:ieee-data" unless that file exists;
#   "dpkg:libssl-dev" unless the package is installed.
as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo -n "$@"; fi; }

need_packages() {
  local need=() spec what pkg
  for spec in "$@"; do
    what=${spec%%:*}
    pkg=${spec#*:}
    case "$what" in
      # With a second architecture in dpkg (scripts/check-cross.sh adds
      # arm64 and armhf), a bare name installed for both is ambiguous: ask for ours.
      dpkg) dpkg -s "$pkg" >/dev/null 2>&1 || dpkg -s "$pkg:$(dpkg --print-architecture)" >/dev/null 2>&1 \
          || need+=("$pkg") ;;
      /*) [ -e "$what" ] || need+=("$pkg") ;;
      *) command -v "$what" >/dev/null 2>&1 || need+=("$pkg") ;;
    esac
  done
  [ ${#need[@]} -eq 0 ] && return 0
  echo "== installing ${need[*]}"
  local prc=/usr/sbin/policy-rc.d made=""
  if [ ! -e "$prc" ]; then
    printf '#!/bin/sh\nexit 101\n' | as_root tee "$prc" >/dev/null
    as_root chmod 755 "$prc"
    made=1
  fi
  local rc=0
  as_root apt-get update -qq || rc=$?
  if [ "$rc" = 0 ]; then
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null || rc=$?
  fi
  if [ -n "$made" ]; then as_root rm -f "$prc"; fi
  return "$rc"
}
