#!/usr/bin/env bash
# Checks the OpenWrt feed (packaging/openwrt) as far as a Debian machine
# can, without the OpenWrt build system:
#   - the procd init script: shell syntax for BusyBox ash (OpenWrt's /bin/sh),
#     and start_service/service_triggers run against recording stand-ins for
#     OpenWrt's functions.sh and procd.sh (which are OpenWrt's, not here):
#     the command, user, capabilities, respawn and reload signal it asks for;
#   - the package Makefile evaluated by GNU make with stand-ins for the
#     buildroot's rules.mk, package.mk and the packages feed's
#     rust-package.mk (they only record): its variables (version = the
#     workspace's, the dependencies) and its install section run for real
#     into a scratch root with the binary the tests built;
#   - the UCI default read by that binary (`warden generate gateway-toml`);
#   - LuCI: the JSON files parse, the view's JavaScript parses (node --check).
# What is not checked here, because it needs the OpenWrt SDK: compiling with
# its musl toolchain, ipk packing, procd itself, LuCI in a browser.
#
#   WARDEN=target/debug/warden bash scripts/check-openwrt.sh
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib/packages.sh
need_packages busybox:busybox-static make:make python3:python3 node:nodejs
W=${WARDEN:-target/debug/warden}
[ -x "$W" ] || cargo build -q -p warden --bin warden
feed=packaging/openwrt
pkg=$feed/net/warden
fail() { echo "openwrt check failed: $*" >&2; exit 1; }
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT

# 1. The init script.
busybox ash -n "$pkg/files/warden.init" || fail "warden.init: ash syntax"
run_init() { # ENABLED -> the recorded calls
  ENABLED=$1 STATE=$scratch/state busybox ash -c '
    calls=""
    record() { calls="$calls
$*"; }
    config_load() { record config_load "$@"; }
    config_get_bool() { eval "$1=\$ENABLED"; }
    config_get() { eval "$1=\$STATE"; }
    chown() { record chown "$@"; }
    procd_open_instance() { record procd_open_instance; }
    procd_close_instance() { record procd_close_instance; }
    procd_set_param() { record procd_set_param "$@"; }
    procd_add_reload_trigger() { record procd_add_reload_trigger "$@"; }
    . "$1"
    start_service 2>/dev/null
    service_triggers
    printf "%s\n" "$calls"
  ' sh "$pkg/files/warden.init"
}
on=$(run_init 1)
for want in \
  "config_load warden" \
  "procd_set_param command /usr/bin/warden gateway --uci --config /etc/config/warden" \
  "procd_set_param user warden" \
  "procd_set_param group warden" \
  "procd_set_param capabilities /etc/capabilities/warden.json" \
  "procd_set_param no_new_privs 1" \
  "procd_set_param respawn 3600 5 5" \
  "procd_set_param file /etc/config/warden" \
  "procd_set_param reload_signal HUP" \
  "procd_close_instance" \
  "procd_add_reload_trigger warden" \
  "chown warden:warden $scratch/state"; do
  grep -qxF -- "$want" <<<"$on" || fail "warden.init does not ask for: $want
$on"
done
[ "$(stat -c %a "$scratch/state")" = 700 ] || fail "the state directory is not 0700"
off=$(run_init 0)
if grep -q procd_open_instance <<<"$off"; then fail "warden.init starts while disabled"; fi

# 2. The package Makefile, with recording stand-ins for the buildroot.
top=$scratch/top
mkdir -p "$top/include" "$top/feeds/packages/lang/rust" "$scratch/install/bin" "$scratch/root"
cp "$W" "$scratch/install/bin/warden"
: > "$top/rules.mk"
cat > "$top/include/package.mk" <<'MK'
# Stand-in for OpenWrt's include/package.mk: the install commands, and a
# BuildPackage that prints what the real one would package.
INSTALL_DIR:=install -d -m0755
INSTALL_BIN:=install -m0755
INSTALL_DATA:=install -m0644
INSTALL_CONF:=install -m0600
CP:=cp -fpR
PKG_BUILD_DIR:=$(SCRATCH)/build
PKG_INSTALL_DIR:=$(SCRATCH)/install
define BuildPackage
check:
	@echo "PKG_NAME=$(PKG_NAME)"
	@echo "PKG_VERSION=$(PKG_VERSION)"
	@echo "DEPENDS=$(strip $(Package/$(1)/DEPENDS))"
	@echo "USERID=$(USERID)"
	@echo "COMPILE=$(strip $(call Build/Compile/Cargo,crates/warden))"
	$(call Package/$(1)/install,$(SCRATCH)/root)
endef
MK
cat > "$top/feeds/packages/lang/rust/rust-package.mk" <<'MK'
# Stand-in for the packages feed's lang/rust/rust-package.mk.
RUST_ARCH_DEPENDS:=@(aarch64||arm||mips||mipsel||x86_64)
define Build/Compile/Cargo
cargo install --profile stripped --path $(1)
endef
MK
# Package/warden's DEPENDS is set inside a define: expose it for the print.
vars=$(make -s -C "$pkg" TOPDIR="$top" INCLUDE_DIR="$top/include" SCRATCH="$scratch" \
  --eval 'Package/warden/DEPENDS=$(shell sed -n "/^  DEPENDS:=/,/[^\\\\]$$/p" Makefile | tr -d "\\\\\n" | sed "s/^ *DEPENDS:=//")' \
  --eval 'USERID=$(shell sed -n "s/^  USERID:=//p" Makefile)' check) || fail "the Makefile does not evaluate"
echo "$vars" | sed 's/^/   /'
version=$(sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -1)
grep -qx "PKG_VERSION=$version" <<<"$vars" || fail "PKG_VERSION is not the workspace's $version"
grep -qx "PKG_NAME=warden" <<<"$vars" || fail "PKG_NAME"
for dep in +nftables-json +kmod-nft-bridge +kmod-nf-conntrack-netlink +libpcap +libopenssl +libssh2; do
  grep "^DEPENDS=" <<<"$vars" | grep -qF -- "$dep" || fail "DEPENDS lacks $dep"
done
grep -q "^COMPILE=cargo install --profile stripped --path crates/warden$" <<<"$vars" || fail "the compile path"
[ -f crates/warden/Cargo.toml ] || fail "crates/warden is not a crate"
grep -qx "USERID=warden=480:warden=480" <<<"$vars" || fail "USERID"
for f in usr/bin/warden etc/init.d/warden etc/config/warden etc/capabilities/warden.json; do
  [ -f "$scratch/root/$f" ] || fail "the install section does not install /$f"
done
[ -x "$scratch/root/etc/init.d/warden" ] || fail "the init script is not executable"
cmp -s "$scratch/root/etc/config/warden" "$pkg/files/warden.config" || fail "/etc/config/warden"

# 3. The UCI default, read by the binary.
toml=$("$W" generate gateway-toml --uci "$scratch/root/etc/config/warden") || fail "the UCI default does not map"
grep -qx 'lan-interfaces = \["br-lan"\]' <<<"$toml" || fail "the UCI default's lan-interfaces: $toml"

# 4. The capabilities are exactly the Debian unit's.
python3 - "$pkg/files/warden.capabilities" packaging/debian/warden.service <<'PY' || fail "capabilities"
import json, re, sys
caps = json.load(open(sys.argv[1]))
unit = open(sys.argv[2]).read()
want = set(re.search(r"^AmbientCapabilities=(.*)$", unit, re.M).group(1).split())
for k in ("bounding", "effective", "ambient", "permitted", "inheritable"):
    assert set(caps[k]) == want, (k, caps[k], want)
PY

# 5. LuCI.
luci=$feed/luci/luci-app-warden
for j in "$luci"/root/usr/share/luci/menu.d/*.json "$luci"/root/usr/share/rpcd/acl.d/*.json; do
  python3 -m json.tool "$j" >/dev/null || fail "$j is not JSON"
done
node --check "$luci/htdocs/luci-static/resources/view/warden/overview.js" || fail "the LuCI view"
grep -q 'include $(TOPDIR)/feeds/luci/luci.mk' "$luci/Makefile" || fail "luci-app-warden does not use luci.mk"
grep -q '^LUCI_DEPENDS:=.*+warden' "$luci/Makefile" || fail "luci-app-warden does not depend on warden"
python3 - "$luci" <<'PY' || fail "the LuCI menu names a view that is not there"
import json, os, sys
luci = sys.argv[1]
menu = json.load(open(os.path.join(luci, "root/usr/share/luci/menu.d/luci-app-warden.json")))
for entry in menu.values():
    view = entry["action"]["path"]
    assert os.path.exists(os.path.join(luci, "htdocs/luci-static/resources/view", view + ".js")), view
PY
echo "   openwrt feed: init script, Makefile, UCI default, capabilities and LuCI files check out"
