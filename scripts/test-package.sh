#!/usr/bin/env bash
# Builds warden's Debian package (cargo-deb) and checks it without installing
# it on this machine: the files it holds, its control data and maintainer
# script, the systemd unit (`systemd-analyze verify` against the unpacked
# tree, and `systemd-analyze security --offline` must rate it OK or better),
# the sysusers entry, the default configuration (parsed by warden itself) and
# the generated manual pages and completions.
#
#   PROFILE=release bash scripts/test-package.sh   # the package to ship
#   bash scripts/test-package.sh                   # dev profile
# NO_BUILD=1 packages target/<profile>/warden as it is (scripts/test.sh, right
# after `cargo test --workspace` built it).
set -euo pipefail
cd "$(dirname "$0")/.."
PROFILE=${PROFILE:-dev}
as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo -n "$@"; fi; }
need=()
command -v dpkg-deb >/dev/null 2>&1 || need+=(dpkg)
command -v systemd-analyze >/dev/null 2>&1 || need+=(systemd)
if [ ${#need[@]} -gt 0 ]; then
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
fi
command -v cargo-deb >/dev/null 2>&1 || cargo install cargo-deb --locked -q

fail() { echo "package check failed: $*" >&2; exit 1; }

dir=debug; [ "$PROFILE" = dev ] || dir=$PROFILE
bin=target/$dir/warden
if [ "${NO_BUILD:-0}" != 1 ]; then
  cargo build -q -p warden --profile "$PROFILE"
fi
[ -x "$bin" ] || fail "$bin is missing (build it, or drop NO_BUILD)"

out=target/package
rm -rf "$out/man" "$out/completions" "$out/root" "$out"/warden_*.deb
mkdir -p "$out/completions"
"$bin" generate man --dir "$out/man"
gzip -9n "$out"/man/*.1
"$bin" generate completions bash > "$out/completions/warden.bash"
"$bin" generate completions zsh > "$out/completions/_warden"
"$bin" generate completions fish > "$out/completions/warden.fish"
cargo deb -q -p warden --no-build --strip --profile "$PROFILE" --output "$out/" >/dev/null
deb=$(ls "$out"/warden_*.deb)
echo "built $deb ($(du -h "$deb" | cut -f1))"

# The files.
contents=$(dpkg-deb -c "$deb" | awk '{print $6}')
for f in ./usr/bin/warden ./etc/warden/gateway.toml ./usr/lib/sysusers.d/warden.conf \
         ./usr/share/man/man1/warden.1.gz ./usr/share/man/man1/warden-gateway.1.gz \
         ./usr/share/man/man1/warden-analyze.1.gz \
         ./usr/share/bash-completion/completions/warden ./usr/share/zsh/vendor-completions/_warden \
         ./usr/share/fish/vendor_completions.d/warden.fish ./usr/share/doc/warden/README.md; do
  grep -qx "$f" <<<"$contents" || fail "$f is not in the package"
done
unit_path=$(grep -E '^\./(usr/)?lib/systemd/system/warden\.service$' <<<"$contents") \
  || fail "the systemd unit is not in the package"
echo "files: $(grep -c . <<<"$contents") entries, the binary, unit, sysusers entry, configuration, $(grep -c 'man1/.*\.gz$' <<<"$contents") manual pages, 3 completions"

# Control data and maintainer scripts.
ctl=$(mktemp -d)
trap 'rm -rf "$ctl"' EXIT
dpkg-deb -e "$deb" "$ctl"
grep -q '^Depends:.*nftables' "$ctl/control" || fail "Depends lacks nftables"
grep -q '^Depends:.*libpcap0.8' "$ctl/control" || fail "Depends lacks libpcap0.8"
grep -qx '/etc/warden/gateway.toml' "$ctl/conffiles" || fail "the configuration is not a conffile"
sh -n "$ctl/postinst" || fail "postinst is not valid sh"
grep -q 'systemd-sysusers warden.conf' "$ctl/postinst" || fail "postinst does not make the user"
grep -q 'deb-systemd-helper' "$ctl/postinst" || fail "postinst does not register the unit"
if grep -q 'deb-systemd-invoke start\|systemctl.*start' "$ctl/postinst"; then
  fail "postinst starts the service before the network is configured"
fi
for s in prerm postrm; do
  if [ -f "$ctl/$s" ]; then sh -n "$ctl/$s" || fail "$s is not valid sh"; fi
done
echo "control: Depends $(sed -n 's/^Depends: //p' "$ctl/control"); conffile; postinst makes the user and registers the unit, not enabled"

# The unpacked tree: unit, user, configuration, binary.
root="$out/root"
mkdir -p "$root"
dpkg-deb -x "$deb" "$root"
grep -q '^u warden ' "$root/usr/lib/sysusers.d/warden.conf" || fail "sysusers entry"
"$root/usr/bin/warden" --version >/dev/null || fail "the packaged binary does not run"
unit="$root/${unit_path#./}"
# Verified against this machine's systemd units (the unpacked tree has no
# sysinit.target), with ExecStart pointing at the unpacked binary.
vdir="$ctl/verify"
mkdir -p "$vdir"
sed "s|/usr/bin/warden|$(realpath "$root")/usr/bin/warden|" "$unit" > "$vdir/warden.service"
# Unknown keys and bad values are only warnings there (exit 0): any output fails.
if ! verify=$(systemd-analyze verify --man=no "$vdir/warden.service" 2>&1) || [ -n "$verify" ]; then
  echo "$verify" >&2
  fail "systemd-analyze verify"
fi
security=$(systemd-analyze security --offline=true "$unit" 2>&1 | grep 'Overall exposure level')
echo "unit: verify passes; $security"
case "$security" in
  *" OK "*|*" SAFE "*|*" PERFECT "*) ;;
  *) fail "the unit's exposure is not OK or better: $security" ;;
esac
# The default configuration is one the gateway accepts (its own parser,
# through the test in crates/warden-gateway/src/config.rs), and the unit's
# capabilities are exactly the three it documents.
caps=$(sed -n 's/^AmbientCapabilities=//p' "$unit")
[ "$caps" = "CAP_NET_ADMIN CAP_NET_RAW CAP_NET_BIND_SERVICE" ] || fail "ambient capabilities: $caps"
[ "$(sed -n 's/^CapabilityBoundingSet=//p' "$unit")" = "$caps" ] || fail "bounding set differs from the ambient set"
echo "package check passed"
