#!/usr/bin/env bash
# warden for a 64-bit ARM router: the whole binary (gateway, prober, MUD
# engine, store) cross-built for aarch64-unknown-linux-gnu with Debian's
# cross compiler and its arm64 multiarch libraries (libpcap, OpenSSL,
# libssh2; SQLite is bundled), then run under qemu-user (Debian's
# qemu-user-static, called directly: no binfmt registration on this
# machine), where it must answer exactly as the x86-64 build does:
# `mud validate`, `mud compile` and `analyze` on the shipped samples, and
# `generate gateway-toml` on the OpenWrt default. Prints the stripped size.
#
#   bash scripts/check-aarch64.sh                  # dev profile (the test command)
#   PROFILE=release bash scripts/check-aarch64.sh  # the size that ships
# Needs root for the packages: it adds the arm64 architecture to dpkg (for
# the multiarch libraries) if it is not there.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib/packages.sh
PROFILE=${PROFILE:-dev}
target=aarch64-unknown-linux-gnu
if ! dpkg --print-foreign-architectures | grep -qx arm64; then
  as_root dpkg --add-architecture arm64
fi
need_packages aarch64-linux-gnu-gcc:gcc-aarch64-linux-gnu qemu-aarch64-static:qemu-user-static \
  dpkg:libssl-dev:arm64 dpkg:libpcap-dev:arm64 dpkg:libssh2-1-dev:arm64
rustup target list --installed | grep -qx "$target" || rustup target add "$target"

export CARGO_TARGET_AARCH64_UNKNOWN_LINUX_GNU_LINKER=aarch64-linux-gnu-gcc
export CC_aarch64_unknown_linux_gnu=aarch64-linux-gnu-gcc
export AR_aarch64_unknown_linux_gnu=aarch64-linux-gnu-ar
export PKG_CONFIG_ALLOW_CROSS=1
export PKG_CONFIG_LIBDIR_aarch64_unknown_linux_gnu=/usr/lib/aarch64-linux-gnu/pkgconfig:/usr/share/pkgconfig
export PKG_CONFIG_SYSROOT_DIR_aarch64_unknown_linux_gnu=/
t0=$SECONDS
# No debug line tables in the cross build (the x86-64 tests need them,
# this comparison does not): a quicker link.
CARGO_PROFILE_DEV_DEBUG=false cargo build -q --profile "$PROFILE" -p warden --bin warden --target "$target"
dir=debug; [ "$PROFILE" = dev ] || dir=$PROFILE
tdir=${CARGO_TARGET_DIR:-target}
arm=$tdir/$target/$dir/warden
# The x86-64 binary to compare with (HOST_WARDEN; else this profile's build).
host=${HOST_WARDEN:-$tdir/$dir/warden}
if [ -z "${HOST_WARDEN:-}" ]; then cargo build -q --profile "$PROFILE" -p warden --bin warden; fi
echo "   cross build: $((SECONDS - t0)) s"
aarch64-linux-gnu-readelf -h "$arm" | grep -q "Machine: *AArch64" || { echo "not an aarch64 binary: $arm" >&2; exit 1; }
# The arm64 multiarch C library (libc6:arm64, which the -dev:arm64 packages
# bring) with its own loader, /lib/ld-linux-aarch64.so.1: not `-L
# /usr/aarch64-linux-gnu`, whose loader would meet the multiarch libc.so.6
# of another build (there, the first new thread never starts).
run_arm() { qemu-aarch64-static "$arm" "$@"; }

same() { # DESCRIPTION ARGS...: both builds, the same output and exit code
  local what=$1; shift
  local a b ra=0 rb=0
  a=$(run_arm "$@" 2>&1) || ra=$?
  b=$("$host" "$@" 2>&1) || rb=$?
  if [ "$a" != "$b" ] || [ "$ra" != "$rb" ]; then
    echo "aarch64 and x86-64 disagree on $what (exit $ra vs $rb)" >&2
    diff <(echo "$b") <(echo "$a") | head -20 >&2
    exit 1
  fi
  echo "   $what: same output under qemu-aarch64 ($(echo "$a" | wc -l) lines, exit $ra)"
}
run_arm --version
same "mud validate" mud validate samples/mud/mudfile-tcp-direction-test.json
same "mud compile (nft)" mud compile samples/mud/smart-plug-transparency.json \
  --device 02:00:00:00:00:01,192.168.1.20 --context samples/context.toml
same "mud compile (json, legacy dialect)" mud compile samples/mud/lightbulb2000.json --legacy \
  --device 02:00:00:00:00:02,192.168.1.21 --context samples/context.toml --format json
same "mud verify (CMS)" mud verify samples/mud/Luminaire_150.json --signature samples/mud/Luminaire_150.p7s \
  --trust samples/mud/luminaire-cacert.pem --at 2019-06-01T00:00:00Z
same "analyze" analyze samples/pcap/tplink-hs110-setup.pcap samples/pcap/dhcp-mud.pcap --json
same "analyze --threads 2" analyze samples/pcap/telnet-login.pcap --threads 2 --json
same "generate gateway-toml" generate gateway-toml --uci packaging/openwrt/net/warden/files/warden.config
stripped=$(mktemp)
aarch64-linux-gnu-strip -o "$stripped" "$arm"
echo "   aarch64 binary ($PROFILE): $(stat -c %s "$arm") bytes, stripped $(stat -c %s "$stripped") bytes"
rm -f "$stripped"
