#!/usr/bin/env bash
# warden for router CPUs: the whole binary (gateway, prober, MUD engine,
# store) cross-built for 64-bit ARM (aarch64-unknown-linux-gnu) and 32-bit
# ARMv7 hard-float (armv7-unknown-linux-gnueabihf) with Debian's cross
# compilers and multiarch libraries (libpcap, OpenSSL, libssh2; SQLite is
# bundled), then run under qemu-user (Debian's qemu-user-static, called
# directly: no binfmt registration on this machine), where each must answer
# exactly as the x86-64 build does: `mud validate`, `mud compile`, `mud
# verify` and `analyze` on the shipped samples, and `generate gateway-toml`
# on the OpenWrt default. Prints each stripped size. Live capture is not run
# under emulation: qemu-user implements neither the packet socket's
# PACKET_HDRLEN option nor the SIOCETHTOOL ioctl that libpcap opens with.
#
#   bash scripts/check-cross.sh                      # both, dev profile (the test command)
#   ARCHES=aarch64 PROFILE=stripped bash scripts/check-cross.sh   # the size that ships
# Needs root for the packages: it adds the architectures to dpkg (for the
# multiarch libraries) if they are not there.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib/packages.sh
PROFILE=${PROFILE:-dev}
ARCHES=${ARCHES:-aarch64 armv7}

# Per CPU: Rust target, Debian architecture, GNU triplet, qemu, ELF machine.
spec() {
  case "$1" in
    aarch64) echo aarch64-unknown-linux-gnu arm64 aarch64-linux-gnu qemu-aarch64-static AArch64 ;;
    armv7) echo armv7-unknown-linux-gnueabihf armhf arm-linux-gnueabihf qemu-arm-static ARM ;;
    *) echo "unknown CPU: $1 (aarch64, armv7)" >&2; return 1 ;;
  esac
}

targets=()
for arch in $ARCHES; do
  read -r target debarch triplet qemu _ < <(spec "$arch")
  if ! dpkg --print-foreign-architectures | grep -qx "$debarch"; then
    as_root dpkg --add-architecture "$debarch"
  fi
  need_packages "$triplet-gcc:gcc-$triplet" "$qemu:qemu-user-static" \
    "dpkg:libssl-dev:$debarch" "dpkg:libpcap-dev:$debarch" "dpkg:libssh2-1-dev:$debarch"
  rustup target list --installed | grep -qx "$target" || rustup target add "$target"
  t=${target//-/_}
  export "CARGO_TARGET_${t^^}_LINKER=$triplet-gcc" "CC_$t=$triplet-gcc" "AR_$t=$triplet-ar"
  export "PKG_CONFIG_LIBDIR_$t=/usr/lib/$triplet/pkgconfig:/usr/share/pkgconfig" "PKG_CONFIG_SYSROOT_DIR_$t=/"
  targets+=(--target "$target")
done
export PKG_CONFIG_ALLOW_CROSS=1

t0=$SECONDS
# One cargo run for every CPU: the build scripts and procedural macros
# (built for this machine) are built once. No debug line tables in the
# cross build (the x86-64 tests need them, this comparison does not).
CARGO_PROFILE_DEV_DEBUG=false cargo build -q --profile "$PROFILE" -p warden --bin warden "${targets[@]}"
dir=debug; [ "$PROFILE" = dev ] || dir=$PROFILE
tdir=${CARGO_TARGET_DIR:-target}
# The x86-64 binary to compare with (HOST_WARDEN; else this profile's build).
host=${HOST_WARDEN:-$tdir/$dir/warden}
if [ -z "${HOST_WARDEN:-}" ]; then cargo build -q --profile "$PROFILE" -p warden --bin warden; fi
echo "   cross build ($ARCHES): $((SECONDS - t0)) s"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

for arch in $ARCHES; do
  read -r target _ triplet qemu machine < <(spec "$arch")
  bin=$tdir/$target/$dir/warden
  "$triplet-readelf" -h "$bin" | grep -q "Machine: *$machine\$" || { echo "not an $arch binary: $bin" >&2; exit 1; }
  # The multiarch C library (libc6:<arch>, which the -dev:<arch> packages
  # bring) with its own loader in /lib: not `-L /usr/<triplet>`, whose
  # loader would meet the multiarch libc.so.6 of another build (there, the
  # first new thread never starts).
  run_arm() { "$qemu" "$bin" "$@"; }
  same() { # DESCRIPTION ARGS...: both builds, the same output and exit code
    local what=$1; shift
    local a b ra=0 rb=0
    a=$(run_arm "$@" 2>&1) || ra=$?
    b=$("$host" "$@" 2>&1) || rb=$?
    if [ "$a" != "$b" ] || [ "$ra" != "$rb" ]; then
      echo "$arch and x86-64 disagree on $what (exit $ra vs $rb)" >&2
      diff <(echo "$b") <(echo "$a") | head -20 >&2
      exit 1
    fi
    echo "   $arch $what: same output under $qemu ($(echo "$a" | wc -l) lines, exit $ra)"
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

  stripped=$work/$arch.stripped
  "$triplet-strip" -o "$stripped" "$bin"
  echo "   $arch binary ($PROFILE): $(stat -c %s "$bin") bytes, stripped $(stat -c %s "$stripped") bytes"
done
