#!/usr/bin/env bash
# Tests of scripts/flash.sh, flash-libs.sh, flash-build.sh and sysroot.sh on a
# synthetic Raspberry-Pi-OS-like image, a file standing in for an SD card, a
# local sshd with a fake systemctl, and (with --qemu) the cross-built binary
# under qemu. Run by `make test-flash` / `make test-flash-quick`.
set -euo pipefail

usage() {
	cat <<'EOF'
Usage: scripts/test/flash_test.sh [--qemu] [--arch LIST] [--sysroot DIR] [--sysroot-armhf DIR]
                                  [--dist DIR] [--run REGEX] [--keep]

Runs every test and prints PASS/FAIL per test, the failing test's log, and
exits non-zero if any failed. Needs root (sshd, a read-only mount), and:
sfdisk, mkfs.vfat, mtools, mkfs.ext4, debugfs, e2fsck, xz, sshd, ssh,
aarch64-linux-gnu-gcc, arm-linux-gnueabihf-gcc.

  --qemu         also test each cross-built binary (DIST/neonet-linux-arm64
                 from `make firmware`, DIST/armv7/neonet-linux-armv7 from
                 `make firmware ARCH=armv7`) under qemu (qemu-aarch64-static
                 -cpu cortex-a72 and cortex-a76; qemu-arm-static -cpu
                 cortex-a7), in a root that holds only the stock libraries
                 plus the bundle: models and classify against the amd64
                 build's output, `neonet run` on a sample video, the camera
                 package's OpenCV tests; and the real firmware flashed into
                 the synthetic image of its architecture
  --arch LIST    the binaries --qemu tests, comma-separated (default
                 arm64,armv7)
  --sysroot DIR  the arm64 sysroot (default build/sysroot-bookworm-arm64)
  --sysroot-armhf DIR  the armhf one (default build/sysroot-bookworm-armhf)
  --dist DIR     where `make firmware` wrote (default dist)
  --run REGEX    run only the tests whose name matches (qemu tests are
                 named NAME:ARCH, e.g. test_qemu:armv7)
  --keep         keep the temporary directory
Environment: GO (default go), DATA (default ../shared/data).
EOF
}

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
qemu=0 sysroot64=$repo/build/sysroot-bookworm-arm64 sysroot32=$repo/build/sysroot-bookworm-armhf dist=$repo/dist only='' keep=0
archs=arm64,armv7
while [ $# -gt 0 ]; do
	case $1 in
	--qemu) qemu=1; shift ;;
	--arch) archs=${2:?--arch needs a list}; shift 2 ;;
	--sysroot) sysroot64=$(cd "${2:?}" 2>/dev/null && pwd) || { echo "flash_test.sh: --sysroot $2: no such directory" >&2; exit 2; }; shift 2 ;;
	--sysroot-armhf) sysroot32=$(cd "${2:?}" 2>/dev/null && pwd) || { echo "flash_test.sh: --sysroot-armhf $2: no such directory" >&2; exit 2; }; shift 2 ;;
	--dist) dist=$(cd "${2:?}" 2>/dev/null && pwd) || { echo "flash_test.sh: --dist $2: no such directory" >&2; exit 2; }; shift 2 ;;
	--run) only=${2:?--run needs a regex}; shift 2 ;;
	--keep) keep=1; shift ;;
	-h | --help) usage; exit 0 ;;
	*) usage >&2; echo "flash_test.sh: unknown argument '$1'" >&2; exit 2 ;;
	esac
done
GO=${GO:-go}
DATA=${DATA:-$(cd "$repo/.." && pwd)/shared/data}
FLASH=$repo/scripts/flash.sh
LIBS=$repo/scripts/flash-libs.sh
SYSROOT_SH=$repo/scripts/sysroot.sh
export PATH=/usr/local/go/bin:$PATH MTOOLS_SKIP_CHECK=1

[ "$(id -u)" = 0 ] || { echo "flash_test.sh: must run as root (sshd, mounts)" >&2; exit 2; }
for c in sfdisk mkfs.vfat mcopy mkfs.ext4 debugfs e2fsck xz ssh ssh-keygen aarch64-linux-gnu-gcc arm-linux-gnueabihf-gcc; do
	command -v "$c" >/dev/null || { echo "flash_test.sh: $c not found (apt-get install fdisk dosfstools mtools e2fsprogs xz-utils openssh-server gcc-aarch64-linux-gnu gcc-arm-linux-gnueabihf)" >&2; exit 2; }
done
[ -x /usr/sbin/sshd ] || { echo "flash_test.sh: /usr/sbin/sshd not found (apt-get install openssh-server)" >&2; exit 2; }

T=$(mktemp -d /tmp/flash-test.XXXXXX)
chmod 755 "$T"
sshd_pid=''
cleanup() {
	if [ -n "$sshd_pid" ]; then kill "$sshd_pid" 2>/dev/null || true; fi
	if mountpoint -q "$T/ro" 2>/dev/null; then umount "$T/ro"; fi
	if [ "$keep" = 1 ]; then echo "kept $T"; else rm -rf "$T"; fi
}
trap cleanup EXIT

# ---------------------------------------------------------------- assertions
# Each test runs in a subshell with errexit; these exit it on failure.
fail() { echo "FAIL: $*"; exit 1; }
eq() { [ "$1" = "$2" ] || fail "${3:-values differ}: got '$1', want '$2'"; }
has() { grep -qF -- "$2" "$1" || { cat "$1"; fail "$1 lacks '$2'"; }; }
lacks() { if grep -qF -- "$2" "$1"; then cat "$1"; fail "$1 has '$2'"; fi; }
# fails_with MESSAGE CMD...: CMD exits non-zero and says MESSAGE on stderr.
fails_with() {
	local msg=$1 rc=0
	shift
	"$@" >"$T/out.log" 2>"$T/err.log" || rc=$?
	[ "$rc" != 0 ] || { cat "$T/err.log"; fail "'$*' succeeded, want failure '$msg'"; }
	grep -qF -- "$msg" "$T/err.log" || { cat "$T/err.log"; fail "'$*' failed without '$msg'"; }
}
sum() { sha256sum "$1" | cut -d' ' -f1; }

# ---------------------------------------------------------------- fixtures

BOOT_START=8192 BOOT_SECTORS=81920 ROOT_START=90112 IMG_MB=100
BOOT_OFF=$((BOOT_START * 512)) ROOT_OFF=$((ROOT_START * 512))
PARTUUID=5e3da3d5

# mkpios OUT [LAST_SECTION [MB [ARCH]]]: a small Raspberry-Pi-OS-like image:
# MBR, FAT32 bootfs (config.txt, cmdline.txt), ext4 rootfs (users, systemd
# dirs, and as /usr/bin/dpkg an executable of ARCH: arm64, the default, or
# armhf; none for ARCH "none").
mkpios() {
	local img=$1 last=${2:-all} IMG_MB=${3:-$IMG_MB} arch=${4:-arm64} d
	d=$(mktemp -d "$T/mk.XXXXXX")
	rm -f "$img"
	truncate -s "${IMG_MB}M" "$img"
	printf 'label: dos\nlabel-id: 0x%s\nunit: sectors\nstart=%s, size=%s, type=c\nstart=%s, type=83\n' \
		"$PARTUUID" "$BOOT_START" "$BOOT_SECTORS" "$ROOT_START" | sfdisk -q "$img"
	mkfs.vfat -F 32 -s 1 -n bootfs --offset="$BOOT_START" "$img" $((BOOT_SECTORS / 2)) >/dev/null 2>&1
	cat >"$d/config.txt" <<EOF
# For more options and information see
# http://rptl.io/configtxt
dtparam=audio=on
camera_auto_detect=1
auto_initramfs=1
dtoverlay=vc4-kms-v3d
arm_64bit=1

[cm4]
otg_mode=1

[$last]
EOF
	echo "console=serial0,115200 console=tty1 root=PARTUUID=$PARTUUID-02 rootfstype=ext4 fsck.repair=yes rootwait quiet" >"$d/cmdline.txt"
	mcopy -i "$img@@$BOOT_OFF" "$d/config.txt" "$d/cmdline.txt" ::/
	local r=$d/root
	mkdir -p "$r/etc/systemd/system/multi-user.target.wants" "$r/usr/local/bin" "$r/var/lib" "$r/lib/systemd/system" "$r/opt"
	printf 'root:x:0:0:root:/root:/bin/bash\ndaemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin\nsshd:x:100:65534::/run/sshd:/usr/sbin/nologin\npi:x:1000:1000:,,,:/home/pi:/bin/bash\n' >"$r/etc/passwd"
	printf 'root:x:0:\ndaemon:x:1:\nshadow:x:42:\nvideo:x:44:pi\ngpio:x:997:pi\npi:x:1000:\n' >"$r/etc/group"
	printf 'root:*:19000:0:99999:7:::\ndaemon:*:19000:0:99999:7:::\nsshd:*:19000:0:99999:7:::\npi:*:19000:0:99999:7:::\n' >"$r/etc/shadow"
	printf 'root:*::\ndaemon:*::\nshadow:*::\nvideo:*::pi\ngpio:!::pi\npi:!::\n' >"$r/etc/gshadow"
	chmod 640 "$r/etc/shadow" "$r/etc/gshadow"
	chgrp 42 "$r/etc/shadow" "$r/etc/gshadow"
	echo raspberrypi >"$r/etc/hostname"
	printf '127.0.0.1\tlocalhost\n::1\t\tlocalhost ip6-localhost ip6-loopback\n\n127.0.1.1\t\traspberrypi\n' >"$r/etc/hosts"
	case $arch in
	arm64) mkdir -p "$r/usr/bin" && cp "$FX/neonet" "$r/usr/bin/dpkg" ;;
	armhf) mkdir -p "$r/usr/bin" && cp "$FX32/neonet" "$r/usr/bin/dpkg" ;;
	esac
	echo '[Unit]' >"$r/lib/systemd/system/ssh.service"
	ln -s /lib/systemd/system/ssh.service "$r/etc/systemd/system/multi-user.target.wants/ssh.service"
	mkfs.ext4 -q -F -L rootfs -d "$r" -E offset="$ROOT_OFF" "$img" $(((IMG_MB * 2048 - ROOT_START) / 2))k
	rm -rf "$d"
}

# The payload: a tiny aarch64 program that needs two libraries of ours
# (libneonetfake needs libneonetdep), linked with the /opt/neonet/lib RPATH.
FX=$T/fx FX32=$T/fx32
mkdir -p "$FX/lib" "$FX/sysroot/usr/lib/aarch64-linux-gnu"
(
	cd "$FX"
	echo 'int dep(void) { return 41; }' >dep.c
	echo 'int dep(void); int fake(void) { return dep() + 1; }' >fake.c
	echo 'int fake(void); int main(void) { return fake() == 42 ? 0 : 1; }' >main.c
	aarch64-linux-gnu-gcc -shared -fPIC -Wl,-soname,libneonetdep.so.2 -o lib/libneonetdep.so.2 dep.c
	aarch64-linux-gnu-gcc -shared -fPIC -Wl,-soname,libneonetfake.so.1 -o lib/libneonetfake.so.1 fake.c -Llib -l:libneonetdep.so.2
	aarch64-linux-gnu-gcc -o neonet main.c -Llib -l:libneonetfake.so.1 -Wl,-rpath-link,lib \
		-Wl,--disable-new-dtags -Wl,-rpath,/opt/neonet/lib
	aarch64-linux-gnu-gcc -o neonet-runpath main.c -Llib -l:libneonetfake.so.1 -Wl,-rpath-link,lib \
		-Wl,--enable-new-dtags -Wl,-rpath,/opt/neonet/lib
	cp lib/* sysroot/usr/lib/aarch64-linux-gnu/
	# The same for 32-bit Raspberry Pi OS (armhf): FX32 has no model or unit.
	mkdir -p "$FX32/lib"
	arm-linux-gnueabihf-gcc -shared -fPIC -Wl,-soname,libneonetdep.so.2 -o "$FX32/lib/libneonetdep.so.2" dep.c
	arm-linux-gnueabihf-gcc -shared -fPIC -Wl,-soname,libneonetfake.so.1 -o "$FX32/lib/libneonetfake.so.1" fake.c \
		-L"$FX32/lib" -l:libneonetdep.so.2
	arm-linux-gnueabihf-gcc -o "$FX32/neonet" main.c -L"$FX32/lib" -l:libneonetfake.so.1 -Wl,-rpath-link,"$FX32/lib" \
		-Wl,--disable-new-dtags -Wl,-rpath,/opt/neonet/lib
	head -c 300000 /dev/urandom >model.neonet
	chmod 600 model.neonet # installed 0644 all the same
	head -c 1000 /dev/urandom >model2.neonet
	cat >neonet.service <<'EOF'
[Unit]
Description=neonet edge inference
After=local-fs.target

[Service]
ExecStart=/opt/neonet/bin/neonet run --config /etc/neonet/neonet.toml
User=neonet
SupplementaryGroups=gpio video dialout
Restart=on-failure

[Install]
WantedBy=multi-user.target
EOF
	sed 's|^ExecStart=.*|ExecStart=/usr/bin/neonet run|' neonet.service >bad-exec.service
)
CONFIG=$repo/deploy/neonet.toml
MODEL_PATH=/var/lib/neonet/squeezenet1_1.neonet # what deploy/neonet.toml names
# shellcheck disable=SC2016 # a literal crypt(3) hash
HASH='$6$saltsalt$qFmFH.bQmmtXzyBY0s9v7Oicd2z4XSIecDzlB5KiA2/jctKu9YterLp8wwnSq.qc.eBoBol8c6hC9yRqNdQ..'
mkpios "$T/base.img"
BASE_SUM=$(sum "$T/base.img")
# flash_img OUT [ARGS]: the image mode on base.img with the fixture payload.
flash_img() {
	local out=$1
	shift
	"$FLASH" --image "$T/base.img" --out "$out" --binary "$FX/neonet" --lib-dir "$FX/lib" \
		--config "$CONFIG" --unit "$FX/neonet.service" "$@"
}
ext() { debugfs -R "$2" "$1?offset=$ROOT_OFF" 2>/dev/null; }
ext_mode() { ext "$1" "stat $2" | sed -n 's/.*Mode: *\([0-7]*\).*/\1/p'; }
ext_link() { ext "$1" "stat $2" | sed -n 's/^Fast link dest: "\(.*\)"/\1/p'; }
ext_sum() { ext "$1" "cat $2" | sha256sum | cut -d' ' -f1; }
fat_cat() { mcopy -n -i "$1@@$BOOT_OFF" "::/$2" - 2>/dev/null; }

# ---------------------------------------------------------------- tests

test_help() {
	local s
	for s in "$FLASH" "$LIBS" "$repo/scripts/flash-build.sh" "$SYSROOT_SH" "$here/flash_test.sh"; do
		"$s" --help >"$T/help" || fail "$s --help exited non-zero"
		has "$T/help" Usage
		fails_with "unknown argument" "$s" --bogus
	done
	fails_with "choose a mode" "$FLASH" --yes
}

test_image() {
	flash_img "$T/out.img" --model "$FX/model.neonet" --ssh --hostname neopi --user "pi:$HASH" --serial-log 2>"$T/log" ||
		{ cat "$T/log"; fail "flash.sh --image failed"; }
	eq "$(sum "$T/base.img")" "$BASE_SUM" "input image changed"
	local o=$T/out.img
	eq "$(ext_sum "$o" /opt/neonet/bin/neonet)" "$(sum "$FX/neonet")" "binary content"
	eq "$(ext_mode "$o" /opt/neonet/bin/neonet)" 0755 "binary mode"
	eq "$(ext_sum "$o" /opt/neonet/lib/libneonetfake.so.1)" "$(sum "$FX/lib/libneonetfake.so.1")" "bundled library"
	eq "$(ext_mode "$o" /opt/neonet/lib/libneonetdep.so.2)" 0644 "library mode"
	eq "$(ext_link "$o" /usr/local/bin/neonet)" /opt/neonet/bin/neonet "/usr/local/bin/neonet link"
	eq "$(ext_sum "$o" /etc/neonet/neonet.toml)" "$(sum "$CONFIG")" "config"
	eq "$(ext_mode "$o" /etc/neonet/neonet.toml)" 0644 "config mode"
	eq "$(ext_sum "$o" "$MODEL_PATH")" "$(sum "$FX/model.neonet")" "model at the config's path"
	eq "$(ext_sum "$o" /etc/systemd/system/neonet.service)" "$(sum "$FX/neonet.service")" "unit"
	eq "$(ext_link "$o" /etc/systemd/system/multi-user.target.wants/neonet.service)" /etc/systemd/system/neonet.service "enable symlink"
	eq "$(ext_link "$o" /etc/systemd/system/multi-user.target.wants/ssh.service)" /lib/systemd/system/ssh.service "existing symlink kept"
	ext "$o" "cat /etc/passwd" >"$T/passwd"
	has "$T/passwd" "neonet:x:101:101:neonet:/nonexistent:/usr/sbin/nologin"
	has "$T/passwd" "pi:x:1000:1000"
	ext "$o" "cat /etc/group" >"$T/group"
	has "$T/group" "neonet:x:101:"
	ext "$o" "cat /etc/shadow" >"$T/shadow"
	has "$T/shadow" "neonet:!:"
	eq "$(ext_mode "$o" /etc/shadow)" 0640 "shadow mode kept"
	ext "$o" "stat /etc/shadow" | grep -q 'Group:    42' || fail "shadow group not kept"
	eq "$(ext "$o" "cat /etc/hostname")" neopi "hostname"
	ext "$o" "cat /etc/hosts" >"$T/hosts"
	has "$T/hosts" "$(printf '127.0.1.1\tneopi')"
	lacks "$T/hosts" raspberrypi
	has "$T/hosts" localhost
	fat_cat "$o" config.txt >"$T/config.txt"
	eq "$(tail -2 "$T/config.txt" | tr '\n' ' ')" "[all] enable_uart=1 " "config.txt ends with enable_uart=1 under [all]"
	has "$T/config.txt" "dtoverlay=vc4-kms-v3d"
	eq "$(fat_cat "$o" cmdline.txt)" "console=tty1 root=PARTUUID=$PARTUUID-02 rootfstype=ext4 fsck.repair=yes rootwait quiet" "cmdline.txt"
	fat_cat "$o" ssh >/dev/null || fail "no ssh file on the boot partition"
	eq "$(fat_cat "$o" userconf.txt)" "pi:$HASH" "userconf.txt"
	e2fsck -fn "$o?offset=$ROOT_OFF" >"$T/fsck" 2>&1 || { cat "$T/fsck"; fail "e2fsck -fn"; }
	no_temp "$T"
}

test_idempotent() {
	flash_img "$T/one.img" --model "$FX/model.neonet" --ssh --hostname neopi --user "pi:$HASH" --serial-log 2>/dev/null
	"$FLASH" --image "$T/one.img" --out "$T/two.img" --binary "$FX/neonet" --lib-dir "$FX/lib" --config "$CONFIG" \
		--unit "$FX/neonet.service" --model "$FX/model.neonet" --ssh --hostname neopi --user "pi:$HASH" --serial-log 2>"$T/log"
	eq "$(sum "$T/two.img")" "$(sum "$T/one.img")" "second run changed the image"
	has "$T/log" "already up to date"
	# Without --serial-log the console stays; enable_uart is not added twice.
	flash_img "$T/three.img" 2>/dev/null
	fat_cat "$T/three.img" cmdline.txt >"$T/cmdline"
	has "$T/cmdline" "console=serial0,115200"
	"$FLASH" --image "$T/three.img" --out "$T/three.img" --binary "$FX/neonet" --lib-dir "$FX/lib" --config "$CONFIG" \
		--unit "$FX/neonet.service" 2>"$T/log"
	has "$T/log" "already up to date"
	eq "$(fat_cat "$T/three.img" config.txt | grep -c enable_uart)" 1 "enable_uart lines"
}

test_update() {
	# A later run replaces what changed and drops libraries no longer bundled.
	mkdir -p "$T/lib2"
	cp "$FX/lib/"* "$T/lib2/"
	cp "$FX/lib/libneonetdep.so.2" "$T/lib2/libstale.so.9"
	flash_img "$T/u.img" --lib-dir "$T/lib2" 2>/dev/null
	eq "$(ext_mode "$T/u.img" /opt/neonet/lib/libstale.so.9)" 0644 "extra library installed"
	cp "$FX/neonet" "$T/neonet2"
	echo v2 >>"$T/neonet2"
	"$FLASH" --image "$T/u.img" --out "$T/u2.img" --binary "$T/neonet2" --lib-dir "$FX/lib" --config "$CONFIG" \
		--unit "$FX/neonet.service" --model "$FX/model2.neonet" 2>/dev/null
	eq "$(ext_sum "$T/u2.img" /opt/neonet/bin/neonet)" "$(sum "$T/neonet2")" "updated binary"
	eq "$(ext_sum "$T/u2.img" "$MODEL_PATH")" "$(sum "$FX/model2.neonet")" "updated model"
	[ -z "$(ext_mode "$T/u2.img" /opt/neonet/lib/libstale.so.9)" ] || fail "stale library not removed"
	e2fsck -fn "$T/u2.img?offset=$ROOT_OFF" >/dev/null 2>&1 || fail "e2fsck after update"
	# A configuration without `model`: the model goes where the daemon looks by default.
	grep -v '^model' "$CONFIG" >"$T/nomodel.toml"
	"$FLASH" --image "$T/base.img" --out "$T/nm.img" --binary "$FX/neonet" --lib-dir "$FX/lib" --config "$T/nomodel.toml" \
		--unit "$FX/neonet.service" --model "$FX/model2.neonet" 2>/dev/null
	eq "$(ext_sum "$T/nm.img" /var/lib/neonet/model.neonet)" "$(sum "$FX/model2.neonet")" "model at the default path"
	# A config.txt whose last section is a filter gets an [all] first.
	mkpios "$T/cm4.img" cm4
	"$FLASH" --image "$T/cm4.img" --out "$T/cm4.img" --binary "$FX/neonet" --lib-dir "$FX/lib" --config "$CONFIG" \
		--unit "$FX/neonet.service" 2>/dev/null
	eq "$(fat_cat "$T/cm4.img" config.txt | tail -3 | tr '\n' ' ')" "[cm4] [all] enable_uart=1 " "config.txt tail"
}

test_grow() {
	# A root with little free space is grown (image, partition 2, ext4).
	mkpios "$T/tight.img" all 72
	head -c $((100 * 1024 * 1024)) /dev/urandom >"$T/big.neonet" # more than one 64 MB step
	local before
	before=$(stat -c %s "$T/tight.img")
	flash_img "$T/g.img" --image "$T/tight.img" --model "$T/big.neonet" 2>"$T/log" || { cat "$T/log"; fail "flash.sh on a full image"; }
	has "$T/log" "root partition grown by"
	[ "$(stat -c %s "$T/g.img")" -gt "$before" ] || fail "image not grown"
	eq "$(ext_sum "$T/g.img" "$MODEL_PATH")" "$(sum "$T/big.neonet")" "model in the grown image"
	e2fsck -fn "$T/g.img?offset=$ROOT_OFF" >"$T/fsck" 2>&1 || { cat "$T/fsck"; fail "e2fsck after growing"; }
	local p2
	p2=$(sfdisk -d "$T/g.img" | awk -F'[=,]' '/g.img2/ { gsub(/ /, "", $4); print $4 }')
	eq "$((ROOT_START + p2))" "$(($(stat -c %s "$T/g.img") / 512))" "partition 2 ends at the image's end"
	"$FLASH" --image "$T/g.img" --out "$T/g2.img" --binary "$FX/neonet" --lib-dir "$FX/lib" --config "$CONFIG" \
		--unit "$FX/neonet.service" --model "$T/big.neonet" 2>"$T/log"
	has "$T/log" "already up to date"
	eq "$(sum "$T/g2.img")" "$(sum "$T/g.img")" "second run on the grown image"
}

test_repo_unit() {
	# The repository's own unit and configuration (the defaults).
	local u=$repo/deploy/systemd/neonet.service
	[ -f "$u" ] || { echo "note: no $u yet"; return 0; }
	"$FLASH" --image "$T/base.img" --out "$T/r.img" --binary "$FX/neonet" --lib-dir "$FX/lib" 2>"$T/log" ||
		{ cat "$T/log"; fail "flash.sh with the default unit and config"; }
	eq "$(ext_sum "$T/r.img" /etc/systemd/system/neonet.service)" "$(sum "$u")" "unit"
	eq "$(ext_link "$T/r.img" /etc/systemd/system/multi-user.target.wants/neonet.service)" /etc/systemd/system/neonet.service "enable symlink"
	ext "$T/r.img" "cat /etc/group" >"$T/group"
	has "$T/group" "neonet:x:101:"
	grep -q '^ExecStart=/usr/local/bin/neonet ' "$u" && eq "$(ext_link "$T/r.img" /usr/local/bin/neonet)" /opt/neonet/bin/neonet "ExecStart's link"
	true
}

test_unit_security() {
	# systemd's own rating of the unit's sandbox: 0.6 (SAFE) with the
	# settings the unit explains; 1.1 before ProcSubset=, IPAddressDeny=,
	# PrivateMounts=, RemoveIPC= and ~@resources.
	systemd-analyze security --offline=true --threshold=6 "$repo/deploy/systemd/neonet.service" >"$T/security.log" 2>&1 ||
		{ cat "$T/security.log"; fail "the unit's exposure level is above 0.6"; }
	tail -1 "$T/security.log"
}

test_xz() {
	xz -T1 -0 -kc "$T/base.img" >"$T/base.img.xz"
	"$FLASH" --image "$T/base.img.xz" --out "$T/x.img" --binary "$FX/neonet" --lib-dir "$FX/lib" --config "$CONFIG" \
		--unit "$FX/neonet.service" 2>/dev/null
	eq "$(ext_sum "$T/x.img" /opt/neonet/bin/neonet)" "$(sum "$FX/neonet")" "binary from the xz image"
	printf 'not xz' >"$T/bad.img.xz"
	fails_with "cannot decompress" "$FLASH" --image "$T/bad.img.xz" --out "$T/y.img" --binary "$FX/neonet" \
		--lib-dir "$FX/lib" --config "$CONFIG" --unit "$FX/neonet.service"
	[ ! -e "$T/y.img" ] || fail "partial output left"
}

# base32: the 32-bit (armhf) image, made when first needed.
base32() { [ -f "$T/base32.img" ] || mkpios "$T/base32.img" all "$IMG_MB" armhf; }

test_image32() {
	# A 32-bit Raspberry Pi OS image takes the armhf payload as the 64-bit
	# one takes the arm64 payload, and a second run changes nothing.
	base32
	local o=$T/out32.img
	"$FLASH" --image "$T/base32.img" --out "$o" --binary "$FX32/neonet" --lib-dir "$FX32/lib" --config "$CONFIG" \
		--unit "$FX/neonet.service" --model "$FX/model.neonet" --ssh --hostname neopi 2>"$T/log" ||
		{ cat "$T/log"; fail "flash.sh on the 32-bit image"; }
	has "$T/log" "armhf userland (32-bit)"
	eq "$(ext_sum "$o" /opt/neonet/bin/neonet)" "$(sum "$FX32/neonet")" "binary content"
	eq "$(ext_mode "$o" /opt/neonet/bin/neonet)" 0755 "binary mode"
	eq "$(ext_sum "$o" /opt/neonet/lib/libneonetfake.so.1)" "$(sum "$FX32/lib/libneonetfake.so.1")" "bundled library"
	eq "$(ext_link "$o" /usr/local/bin/neonet)" /opt/neonet/bin/neonet "/usr/local/bin/neonet link"
	eq "$(ext_sum "$o" "$MODEL_PATH")" "$(sum "$FX/model.neonet")" "model"
	eq "$(ext_link "$o" /etc/systemd/system/multi-user.target.wants/neonet.service)" /etc/systemd/system/neonet.service "enable symlink"
	eq "$(ext "$o" "cat /etc/hostname")" neopi "hostname"
	fat_cat "$o" ssh >/dev/null || fail "no ssh file on the boot partition"
	e2fsck -fn "$o?offset=$ROOT_OFF" >"$T/fsck" 2>&1 || { cat "$T/fsck"; fail "e2fsck -fn"; }
	"$FLASH" --image "$o" --out "$T/out32b.img" --binary "$FX32/neonet" --lib-dir "$FX32/lib" --config "$CONFIG" \
		--unit "$FX/neonet.service" --model "$FX/model.neonet" --ssh --hostname neopi 2>"$T/log"
	has "$T/log" "already up to date"
	eq "$(sum "$T/out32b.img")" "$(sum "$o")" "second run changed the 32-bit image"
	rm -f "$o" "$T/out32b.img"
}

test_arch() {
	# The binary must be for the image's userland; without --binary the
	# image picks the one `make firmware` builds for it.
	base32
	local d=$T/arch r=$T/repo
	mkdir -p "$d"
	fails_with "an arm64 (64-bit) executable, but $T/base32.img has an armhf (32-bit) userland: use dist/armv7/neonet-linux-armv7 from 'make firmware ARCH=armv7'" \
		flash_img "$d/o.img" --image "$T/base32.img"
	fails_with "an armhf (32-bit) executable, but $T/base.img has an arm64 (64-bit) userland: use dist/neonet-linux-arm64 from 'make firmware'" \
		flash_img "$d/o.img" --binary "$FX32/neonet" --lib-dir "$FX32/lib"
	mkpios "$d/nodpkg.img" all "$IMG_MB" none
	fails_with "no /usr/bin/dpkg executable in the root, so its architecture is unknown" flash_img "$d/o.img" --image "$d/nodpkg.img"
	no_output "$d" "$d/o.img"
	# A copy of the repository whose dist/ holds both builds.
	mkdir -p "$r/dist/armv7"
	cp -r "$repo/scripts" "$repo/deploy" "$r/"
	cp "$FX/neonet" "$r/dist/neonet-linux-arm64"
	cp -r "$FX/lib" "$r/dist/lib"
	cp "$FX32/neonet" "$r/dist/armv7/neonet-linux-armv7"
	cp -r "$FX32/lib" "$r/dist/armv7/lib"
	"$r/scripts/flash.sh" --image "$T/base32.img" --out "$d/d32.img" --unit "$FX/neonet.service" 2>"$T/log" ||
		{ cat "$T/log"; fail "flash.sh with the default binary on the 32-bit image"; }
	eq "$(ext_sum "$d/d32.img" /opt/neonet/bin/neonet)" "$(sum "$FX32/neonet")" "default binary for armhf"
	eq "$(ext_sum "$d/d32.img" /opt/neonet/lib/libneonetdep.so.2)" "$(sum "$FX32/lib/libneonetdep.so.2")" "default libraries for armhf"
	"$r/scripts/flash.sh" --image "$T/base.img" --out "$d/d64.img" --unit "$FX/neonet.service" 2>"$T/log" ||
		{ cat "$T/log"; fail "flash.sh with the default binary on the 64-bit image"; }
	eq "$(ext_sum "$d/d64.img" /opt/neonet/bin/neonet)" "$(sum "$FX/neonet")" "default binary for arm64"
	rm "$r/dist/armv7/neonet-linux-armv7"
	fails_with "binary not found (build it with 'make firmware ARCH=armv7'" \
		"$r/scripts/flash.sh" --image "$T/base32.img" --out "$d/o.img" --unit "$FX/neonet.service"
	no_output "$d" "$d/o.img"
	rm -rf "$r" "$d"
}

# no_temp DIR: no temporary image of flash.sh is left in DIR.
no_temp() { [ -z "$(find "$1" -maxdepth 1 -name '.flash-*' -print -quit)" ] || fail "temporary file left in $1"; }

# no_output DIR FILE: FILE was not made and no temporary file is left in DIR.
no_output() {
	[ ! -e "$2" ] || fail "$2 was written"
	no_temp "$1"
}

test_bad_inputs() {
	local d=$T/bad
	mkdir -p "$d"
	fails_with "image not found" flash_img "$d/o.img" --image "$T/missing.img"
	no_output "$d" "$d/o.img"
	fails_with "needs --out" "$FLASH" --image "$T/base.img"
	# Wrong layouts.
	truncate -s 10M "$d/blank.img"
	fails_with "no partition table" "$FLASH" --image "$d/blank.img" --out "$d/o.img" --binary "$FX/neonet" \
		--lib-dir "$FX/lib" --config "$CONFIG" --unit "$FX/neonet.service"
	no_output "$d" "$d/o.img"
	cp "$T/base.img" "$d/gpt.img"
	printf 'label: gpt\nsize=40MiB\n,\n' | sfdisk -q "$d/gpt.img"
	fails_with "expected an MBR" "$FLASH" --image "$d/gpt.img" --out "$d/o.img" --binary "$FX/neonet" \
		--lib-dir "$FX/lib" --config "$CONFIG" --unit "$FX/neonet.service"
	cp "$T/base.img" "$d/swap.img"
	sfdisk -q --part-type "$d/swap.img" 2 82
	fails_with "partition 2 has type '82'" "$FLASH" --image "$d/swap.img" --out "$d/o.img" --binary "$FX/neonet" \
		--lib-dir "$FX/lib" --config "$CONFIG" --unit "$FX/neonet.service"
	cp "$T/base.img" "$d/noext4.img"
	dd if=/dev/zero of="$d/noext4.img" bs=512 seek="$ROOT_START" count=8192 conv=notrunc status=none
	fails_with "not an ext4 root" "$FLASH" --image "$d/noext4.img" --out "$d/o.img" --binary "$FX/neonet" \
		--lib-dir "$FX/lib" --config "$CONFIG" --unit "$FX/neonet.service"
	no_output "$d" "$d/o.img"
	cp "$T/base.img" "$d/nocmd.img"
	mdel -i "$d/nocmd.img@@$BOOT_OFF" ::/cmdline.txt
	fails_with "no cmdline.txt" "$FLASH" --image "$d/nocmd.img" --out "$d/o.img" --binary "$FX/neonet" \
		--lib-dir "$FX/lib" --config "$CONFIG" --unit "$FX/neonet.service"
	no_output "$d" "$d/o.img"
	# A failure leaves an existing output as it was.
	echo old >"$d/keep.img"
	fails_with "not an ext4 root" "$FLASH" --image "$d/noext4.img" --out "$d/keep.img" --binary "$FX/neonet" \
		--lib-dir "$FX/lib" --config "$CONFIG" --unit "$FX/neonet.service"
	eq "$(cat "$d/keep.img")" old "existing output changed by a failed run"
	# Output directories.
	fails_with "does not exist" flash_img "$d/nodir/o.img"
	mkdir -p "$T/ro"
	mount -t tmpfs -o ro,size=1m tmpfs "$T/ro"
	fails_with "not writable" flash_img "$T/ro/o.img"
	umount "$T/ro"
	# The payload.
	fails_with "binary not found" flash_img "$d/o.img" --binary "$T/nobinary"
	fails_with "an amd64 (64-bit) executable, but $T/base.img has an arm64 (64-bit) userland" flash_img "$d/o.img" --binary /bin/true
	fails_with "not an ELF executable" flash_img "$d/o.img" --binary "$CONFIG"
	mkdir -p "$d/nolibs"
	fails_with "libneonetfake.so.1, which is neither" flash_img "$d/o.img" --lib-dir "$d/nolibs"
	fails_with "ExecStart runs '/usr/bin/neonet'" flash_img "$d/o.img" --unit "$FX/bad-exec.service"
	fails_with "systemd unit not found" flash_img "$d/o.img" --unit "$T/none.service"
	fails_with "model file not found" flash_img "$d/o.img" --model "$T/none.neonet"
	fails_with "--user pi:secret: expected NAME:HASH" flash_img "$d/o.img" --user pi:secret
	fails_with "--hostname bad_name: expected" flash_img "$d/o.img" --hostname bad_name
	no_output "$d" "$d/o.img"
}

test_device() {
	local d=$T/dev img=$T/base.img n
	mkdir -p "$d"
	n=$(stat -c %s "$img")
	truncate -s 4G "$d/card"
	"$FLASH" --device "$d/card" --image "$img" --allow-file --yes 2>"$T/log" || { cat "$T/log"; fail "device mode failed"; }
	has "$T/log" "written and verified"
	cmp -n "$n" "$img" "$d/card" || fail "card differs from the image"
	eq "$(stat -c %s "$d/card")" $((4 * 1024 * 1024 * 1024)) "card size changed"
	# Confirmation.
	truncate -s 4G "$d/card2"
	fails_with "not confirmed" "$FLASH" --device "$d/card2" --image "$img" --allow-file </dev/null
	echo no | fails_with "not confirmed" "$FLASH" --device "$d/card2" --image "$img" --allow-file
	cmp -n "$n" /dev/zero "$d/card2" || fail "written without confirmation"
	echo yes | "$FLASH" --device "$d/card2" --image "$img" --allow-file 2>/dev/null || fail "yes not accepted"
	cmp -n "$n" "$img" "$d/card2" || fail "card2 differs from the image"
	# Refusals.
	fails_with "not a block device" "$FLASH" --device "$d/card" --image "$img" --yes
	truncate -s 1G "$d/small"
	fails_with "too small" "$FLASH" --device "$d/small" --image "$img" --allow-file --yes
	truncate -s 600G "$d/huge"
	fails_with "too large" "$FLASH" --device "$d/huge" --image "$img" --allow-file --yes
	truncate -s 5G "$d/big.img"
	fails_with "smaller than" "$FLASH" --device "$d/card" --image "$d/big.img" --allow-file --yes
	fails_with "no such block device" "$FLASH" --device /dev/neonet-none --image "$img" --yes
	fails_with "image not found" "$FLASH" --device "$d/card" --image "$T/none.img" --allow-file --yes
	# The disk holding / (mounted): refused before any question is asked.
	local src disk
	src=$(findmnt -no SOURCE /)
	if [ -b "$src" ]; then
		disk=/dev/$(lsblk -snro NAME,TYPE "$src" | awk '$2 == "disk" { print $1; exit }')
		fails_with "$disk" "$FLASH" --device "$disk" --image "$img" </dev/null
		grep -Eq "mounted|running system" "$T/err.log" || { cat "$T/err.log"; fail "$disk not refused as mounted/system disk"; }
		if [ "$src" != "$disk" ]; then
			fails_with "expected a whole disk" "$FLASH" --device "$src" --image "$img" </dev/null
		fi
	else
		echo "note: / is on $src, not a block device: system-disk refusal not exercised"
	fi
	# A whole disk that is not removable and not in use (an internal disk)
	# is refused, unless --allow-non-removable; the other checks still apply
	# then. Only a disk too small to be written (under 4 GB, e.g. zram) is
	# used, so that nothing can ever be written by this test.
	local name type rm hotplug fixed=
	while read -r name type rm hotplug; do
		if [ "$type" != disk ] || [ "$rm" != 0 ] || [ "$hotplug" != 0 ]; then continue; fi
		case $name in mmcblk*) continue ;; esac
		[ "$(lsblk -dno TRAN "/dev/$name" | xargs)" = "" ] || continue
		[ -z "$(lsblk -nro MOUNTPOINT "/dev/$name" | sed '/^$/d')" ] || continue
		grep -q "^/dev/$name" /proc/swaps && continue
		[ "$(lsblk -bdno SIZE "/dev/$name")" -lt $((4 * 1000 * 1000 * 1000)) ] || continue
		fixed=$name
		break
	done < <(lsblk -dnro NAME,TYPE,RM,HOTPLUG)
	if [ -n "$fixed" ]; then
		fails_with "not a removable disk" "$FLASH" --device "/dev/$fixed" --image "$img" --yes
		fails_with "too small" "$FLASH" --device "/dev/$fixed" --image "$img" --yes --allow-non-removable
		echo "non-removable refusal exercised on /dev/$fixed"
	else
		echo "note: no small unused non-removable disk here: non-removable refusal not exercised"
	fi
}

test_libs() {
	"$LIBS" check --binary "$FX/neonet" --lib-dir "$FX/lib" >/dev/null 2>&1 || fail "check of a complete bundle failed"
	mkdir -p "$T/partial"
	cp "$FX/lib/libneonetfake.so.1" "$T/partial/"
	fails_with "libneonetfake.so.1 needs libneonetdep.so.2" "$LIBS" check --binary "$FX/neonet" --lib-dir "$T/partial"
	fails_with "no DT_RPATH /opt/neonet/lib" "$LIBS" check --binary "$FX/neonet-runpath" --lib-dir "$FX/lib"
	# Stock libraries are not needed in the bundle; others are.
	printf 'libc.so.6\nlibneonetdep.so.2\n' >"$T/stock.txt"
	"$LIBS" check --binary "$FX/neonet" --lib-dir "$T/partial" --stock "$T/stock.txt" >/dev/null 2>&1 || fail "stock list ignored"
	# bundle follows NEEDED recursively inside the sysroot.
	"$LIBS" bundle --binary "$FX/neonet" --sysroot "$FX/sysroot" --out "$T/bundle" >/dev/null
	eq "$(find "$T/bundle" -type f -printf '%f\n' | sort | tr '\n' ' ')" "libneonetdep.so.2 libneonetfake.so.1 " "bundle"
	rm "$FX/sysroot/usr/lib/aarch64-linux-gnu/libneonetdep.so.2"
	fails_with "needs libneonetdep.so.2, not found in" "$LIBS" bundle --binary "$FX/neonet" --sysroot "$FX/sysroot" --out "$T/bundle"
	cp "$FX/lib/libneonetdep.so.2" "$FX/sysroot/usr/lib/aarch64-linux-gnu/"
	eq "$(find "$T/bundle" -type f -printf '%f\n' | sort | tr '\n' ' ')" "libneonetdep.so.2 libneonetfake.so.1 " "bundle kept after a failure"
}

test_sysroot_sources() {
	local e=$T/apt
	mkdir -p "$e/sources.list.d"
	cat >"$e/sources.list" <<'EOF'
# comment
deb [arch=amd64 signed-by=/k/one.gpg] http://mirror.example/debian bookworm main contrib
deb-src http://mirror.example/debian bookworm main
deb http://mirror.example/debian trixie main
EOF
	cat >"$e/sources.list.d/debian.sources" <<'EOF'
Types: deb
URIs: http://sec.example/debian-security
Suites: bookworm-security
Components: main
Signed-By: /k/sec.gpg

Types: deb
URIs: http://off.example/debian
Suites: bookworm
Components: main
Enabled: no

Types: deb deb-src
URIs: http://up.example/debian
Suites: bookworm-updates
Components: main
Signed-By:
 -----BEGIN PGP PUBLIC KEY BLOCK-----
 .
 xyz
 -----END PGP PUBLIC KEY BLOCK-----
EOF
	NEONET_APT_ETC=$e "$SYSROOT_SH" --print-mirror >"$T/m"
	eq "$(cat "$T/m")" "deb [arch=arm64 signed-by=/k/one.gpg] http://mirror.example/debian bookworm main contrib
deb [arch=arm64 signed-by=/k/sec.gpg] http://sec.example/debian-security bookworm-security main
deb [arch=arm64 signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] http://up.example/debian bookworm-updates main" "sources"
	# This machine's own sources give a bookworm mirror.
	"$SYSROOT_SH" --print-mirror >"$T/m"
	has "$T/m" "[arch=arm64"
	has "$T/m" " bookworm main"
	printf 'deb http://mirror.example/debian trixie main\n' >"$e/sources.list"
	rm "$e/sources.list.d/debian.sources"
	fails_with "no apt source for suite 'bookworm'" env NEONET_APT_ETC="$e" "$SYSROOT_SH" --print-mirror
	fails_with "package list not found" "$SYSROOT_SH" --packages "$T/none.txt" --mirror http://x.example/debian
}

# ---------------------------------------------------------------- SSH

start_sshd() {
	local s=$T/sshd port
	mkdir -p "$s" "$T/fakebin" /run/sshd
	ssh-keygen -q -t ed25519 -N '' -f "$s/hostkey"
	ssh-keygen -q -t ed25519 -N '' -f "$s/userkey"
	cp "$s/userkey.pub" "$s/authorized_keys"
	for ((port = 22022; port < 22122; port++)); do
		ss -ltn "sport = :$port" | grep -q LISTEN || break
	done
	cat >"$T/fakebin/systemctl" <<'EOF'
#!/bin/sh
# A fake systemctl: records its arguments; is-active fails while the
# installed binary contains BROKEN.
echo "$*" >>"$FAKE_SYSTEMCTL_LOG"
case $1 in
is-active) if grep -q BROKEN "$FAKE_ROOT/opt/neonet/bin/neonet"; then exit 3; fi ;;
esac
exit 0
EOF
	cat >"$T/fakebin/dpkg" <<'EOF'
#!/bin/sh
# A fake dpkg and uname -m: the board's architecture as the test sets it
# ("USERLAND MACHINE" in $FAKE_ARCH).
case $1 in
--print-architecture) cut -d' ' -f1 "$FAKE_ARCH" ;;
*) exit 2 ;;
esac
EOF
	cat >"$T/fakebin/uname" <<'EOF'
#!/bin/sh
case $1 in
-m) cut -d' ' -f2 "$FAKE_ARCH" ;;
*) exec /bin/uname "$@" ;;
esac
EOF
	chmod 755 "$T/fakebin/systemctl" "$T/fakebin/dpkg" "$T/fakebin/uname"
	cat >"$s/config" <<EOF
Port $port
ListenAddress 127.0.0.1
HostKey $s/hostkey
PidFile $s/sshd.pid
AuthorizedKeysFile $s/authorized_keys
PermitRootLogin prohibit-password
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
StrictModes no
SetEnv PATH=$T/fakebin:/usr/sbin:/usr/bin:/sbin:/bin FAKE_SYSTEMCTL_LOG=$T/systemctl.log FAKE_ROOT=$T/remote FAKE_ARCH=$T/remote.arch
EOF
	/usr/sbin/sshd -D -f "$s/config" -E "$s/log" &
	sshd_pid=$!
	echo "[127.0.0.1]:$port $(cut -d' ' -f1,2 "$s/hostkey.pub")" >"$s/known_hosts"
	SSH_PORT=$port
	local i
	for ((i = 0; i < 50; i++)); do
		if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then return 0; fi
		sleep 0.1
	done
	cat "$s/log"
	echo "sshd did not start on port $port"
	return 1
}

deploy() {
	"$FLASH" --host root@127.0.0.1 --port "$SSH_PORT" --identity "$T/sshd/userkey" \
		--ssh-option "UserKnownHostsFile=$T/sshd/known_hosts" --ssh-option StrictHostKeyChecking=yes \
		--remote-root "$T/remote" --lib-dir "$FX/lib" --config "$CONFIG" --unit "$FX/neonet.service" \
		--timeout 2 --settle 1 "$@"
}

test_ssh() {
	local r=$T/remote
	rm -rf "$r" "$T/systemctl.log"
	mkdir -p "$r"
	echo "arm64 aarch64" >"$T/remote.arch"
	deploy --binary "$FX/neonet" --model "$FX/model.neonet" 2>"$T/log" || { cat "$T/log" "$T/sshd/log"; fail "deploy failed"; }
	has "$T/log" "deployed"
	eq "$(sum "$r/opt/neonet/bin/neonet")" "$(sum "$FX/neonet")" "deployed binary"
	eq "$(stat -c %a "$r/opt/neonet/bin/neonet")" 755 "binary mode"
	eq "$(sum "$r/opt/neonet/lib/libneonetdep.so.2")" "$(sum "$FX/lib/libneonetdep.so.2")" "deployed library"
	eq "$(sum "$r$MODEL_PATH")" "$(sum "$FX/model.neonet")" "deployed model"
	eq "$(stat -c %a "$r$MODEL_PATH" "$r/etc/neonet/neonet.toml" "$r/opt/neonet/lib/libneonetdep.so.2" | sort -u)" 644 "modes of the model, config, libraries"
	eq "$(sum "$r/etc/neonet/neonet.toml")" "$(sum "$CONFIG")" "deployed config"
	eq "$(sum "$r/etc/systemd/system/neonet.service")" "$(sum "$FX/neonet.service")" "deployed unit"
	eq "$(readlink "$r/usr/local/bin/neonet")" /opt/neonet/bin/neonet "link"
	[ ! -e "$r/opt/neonet/.staging" ] || fail "staging directory left"
	eq "$(head -4 "$T/systemctl.log" | tr '\n' ';')" "daemon-reload;enable neonet.service;restart neonet.service;is-active --quiet neonet.service;" "systemctl calls"

	# A binary that does not come up: rolled back to the previous one.
	cp "$FX/neonet" "$T/broken"
	echo BROKEN >>"$T/broken"
	: >"$T/systemctl.log"
	fails_with "rolled back to the previous binary and model" deploy --binary "$T/broken" --model "$FX/model2.neonet"
	eq "$(sum "$r/opt/neonet/bin/neonet")" "$(sum "$FX/neonet")" "binary after rollback"
	eq "$(sum "$r$MODEL_PATH")" "$(sum "$FX/model.neonet")" "model after rollback"
	eq "$(sum "$r/opt/neonet/lib/libneonetfake.so.1")" "$(sum "$FX/lib/libneonetfake.so.1")" "libraries after rollback"
	eq "$(grep -c '^restart' "$T/systemctl.log")" 2 "restarts (deploy, rollback)"
	eq "$(tail -1 "$T/systemctl.log")" "is-active --quiet neonet.service" "last call"
	has "$T/err.log" "is active again"

	# The first install failing: nothing to roll back to, the unit is disabled.
	rm -rf "$r" && mkdir -p "$r"
	: >"$T/systemctl.log"
	fails_with "did not become active" deploy --binary "$T/broken"
	has "$T/err.log" "no previous installation"
	has "$T/systemctl.log" "disable --now neonet.service"

	fails_with "expected USER@HOST" "$FLASH" --host nohost
	fails_with "cannot ask the board for its architecture" "$FLASH" --host root@127.0.0.1 --port 1 --binary "$FX/neonet" \
		--lib-dir "$FX/lib" --config "$CONFIG" --unit "$FX/neonet.service"
}

test_ssh32() {
	# 32-bit Raspberry Pi OS: on a Pi 2 or 3 with its 32-bit kernel, and on
	# a Pi 4 whose kernel is 64-bit under the same 32-bit userland. The
	# userland decides.
	local r=$T/remote k
	rm -rf "$r"
	mkdir -p "$r"
	for k in armv7l aarch64; do
		echo "armhf $k" >"$T/remote.arch"
		deploy --binary "$FX32/neonet" --lib-dir "$FX32/lib" 2>"$T/log" || { cat "$T/log"; fail "deploy to armhf on $k"; }
		has "$T/log" "armhf userland (32-bit) on an $k kernel"
		eq "$(sum "$r/opt/neonet/bin/neonet")" "$(sum "$FX32/neonet")" "deployed binary ($k)"
		eq "$(sum "$r/opt/neonet/lib/libneonetfake.so.1")" "$(sum "$FX32/lib/libneonetfake.so.1")" "deployed library ($k)"
	done
	fails_with "an arm64 (64-bit) executable, but root@127.0.0.1 has an armhf (32-bit) userland: use dist/armv7/neonet-linux-armv7 from 'make firmware ARCH=armv7'" \
		deploy --binary "$FX/neonet"
	echo "armhf armv6l" >"$T/remote.arch"
	fails_with "an ARMv6 CPU (armv6l: a Pi 1 or Zero)" deploy --binary "$FX32/neonet" --lib-dir "$FX32/lib"
	echo "arm64 aarch64" >"$T/remote.arch"
	fails_with "an armhf (32-bit) executable, but root@127.0.0.1 has an arm64 (64-bit) userland: use dist/neonet-linux-arm64 from 'make firmware'" \
		deploy --binary "$FX32/neonet" --lib-dir "$FX32/lib"
	eq "$(sum "$r/opt/neonet/bin/neonet")" "$(sum "$FX32/neonet")" "binary after the refused deploys"
}

# ---------------------------------------------------------------- qemu

# target ARCH sets what the qemu tests use for the arm64 or the armv7
# build: the binary and its directory, the sysroot, the multiarch triplet,
# the loader, qemu and its CPUs, and the synthetic image of that userland.
target() {
	case $1 in
	arm64)
		bin=$dist/neonet-linux-arm64 tdist=$dist sysroot=$sysroot64 triplet=aarch64-linux-gnu darch=arm64
		loader=ld-linux-aarch64.so.1 q=qemu-aarch64-static cpus="cortex-a72 cortex-a76" img=$T/base.img
		;;
	armv7)
		bin=$dist/armv7/neonet-linux-armv7 tdist=$dist/armv7 sysroot=$sysroot32 triplet=arm-linux-gnueabihf darch=armhf
		loader=ld-linux-armhf.so.3 q=qemu-arm-static cpus=cortex-a7 img=$T/base32.img
		base32
		;;
	*) fail "unknown architecture '$1' (expected arm64 or armv7)" ;;
	esac
	cpu1=${cpus%% *}
}

# stockroot DIR: a root holding only the stock libraries (from the sysroot)
# and the bundle in /opt/neonet/lib: what a stock Pi OS Lite + neonet has.
stockroot() {
	local r=$1 so p
	mkdir -p "$r/usr/lib/$triplet" "$r/opt/neonet"
	ln -sfn usr/lib "$r/lib"
	while read -r so; do
		for p in "$sysroot/usr/lib/$triplet/$so" "$sysroot/usr/lib/$so"; do
			if [ -e "$p" ]; then cp -L "$p" "$r${p#"$sysroot"}"; break; fi
		done
	done < <(sed -e 's/#.*//' -e 's/[[:space:]]//g' -e '/^$/d' "$repo/scripts/flash-stock-libs.txt")
	# The loader the binary names (PT_INTERP /lib/ld-linux-...).
	cp -L "$sysroot/lib/$loader" "$r/usr/lib/" || fail "no dynamic loader in $sysroot"
	cp -al "$tdist/lib" "$r/opt/neonet/lib" 2>/dev/null || cp -a "$tdist/lib" "$r/opt/neonet/lib"
}

# amd64_build: the amd64 build the arm outputs are compared with.
amd64_build() {
	[ -x "$T/neonet-amd64" ] || (cd "$repo" && CGO_ENABLED=0 "$GO" build -o "$T/neonet-amd64" ./cmd/neonet) || fail "amd64 build"
}

test_qemu() {
	target "$1"
	local cpu
	[ -f "$bin" ] || fail "$bin not built (make firmware ARCH=$1)"
	[ -d "$sysroot/usr/lib" ] || fail "$sysroot: no sysroot (make sysroot ARCH=$1)"
	command -v "$q" >/dev/null || fail "$q not found (apt-get install qemu-user-static)"
	"$LIBS" check --binary "$bin" --lib-dir "$tdist/lib" || fail "bundle check"
	stockroot "$T/stockroot-$1"
	amd64_build
	local w=$DATA/weights/squeezenet1_1_imagenet.pth photo=$DATA/images/samples/cat.bmp
	[ -f "$w" ] || fail "$w: shared data not found (DATA=...)"
	"$T/neonet-amd64" models >"$T/models.amd64"
	"$T/neonet-amd64" classify --model squeezenet1_1 --weights "$w" "$photo" >"$T/classify.amd64"
	has "$T/classify.amd64" "cat"
	for cpu in $cpus; do
		"$q" -L "$T/stockroot-$1" -cpu "$cpu" "$bin" models >"$T/models.$cpu" || fail "$cpu: models"
		cmp "$T/models.amd64" "$T/models.$cpu" || { diff "$T/models.amd64" "$T/models.$cpu"; fail "$cpu: models output differs"; }
		"$q" -L "$T/stockroot-$1" -cpu "$cpu" "$bin" classify --model squeezenet1_1 --weights "$w" "$photo" >"$T/classify.$cpu" ||
			fail "$cpu: classify"
		cmp "$T/classify.amd64" "$T/classify.$cpu" || { diff "$T/classify.amd64" "$T/classify.$cpu"; fail "$cpu: classify output differs"; }
	done
	# The root really is all the loader sees: without one bundled library
	# (the first the binary needs) the binary does not start.
	local first
	first=$("$LIBS" needed "$bin" | grep -vxFf <(sed -e 's/#.*//' -e 's/[[:space:]]//g' -e '/^$/d' "$repo/scripts/flash-stock-libs.txt") | head -1)
	if [ -n "$first" ]; then
		mv "$T/stockroot-$1/opt/neonet/lib/$first" "$T/$first"
		if "$q" -L "$T/stockroot-$1" -cpu "$cpu1" "$bin" models >/dev/null 2>"$T/missing.log"; then
			fail "the binary ran without $first"
		fi
		has "$T/missing.log" "$first"
		mv "$T/$first" "$T/stockroot-$1/opt/neonet/lib/$first"
	fi
}

test_qemu_daemon() {
	# `neonet run` on the board's architecture from the stock root: an int8
	# model (quantized by the amd64 build) gives the amd64 build's int8
	# scores on the same photos, and the daemon, with a sample video as
	# camera through the bundled OpenCV and simulated pins, classifies
	# frames and stops cleanly.
	target "$1"
	local cpu video=$DATA/videos/Megamind.avi
	[ -f "$bin" ] || fail "$bin not built (make firmware ARCH=$1)"
	[ -f "$video" ] || fail "$video: shared data not found"
	[ -d "$T/stockroot-$1" ] || stockroot "$T/stockroot-$1"
	amd64_build
	if [ ! -f "$T/sq.neonet" ]; then
		"$T/neonet-amd64" quantize --model squeezenet1_1 --weights "$DATA/weights/squeezenet1_1_imagenet.pth" \
			--calib "$DATA/images/imagenet-dev" --calib-images 8 --out "$T/sq.neonet" >"$T/quantize.log" 2>&1 ||
			{ cat "$T/quantize.log"; fail "quantize"; }
	fi
	# The int8 scores the daemon's rules are decided on: the same photos
	# through the same model give the same bytes on amd64 and on every arm
	# path (the rules are pure logic over these scores).
	local photos=("$DATA/images/samples/cat.bmp" "$DATA/images/samples/parrot.jpg" "$DATA/images/samples/owl.jpg" "$DATA/images/samples/bird.bmp")
	"$T/neonet-amd64" classify --model "$T/sq.neonet" --json --top 5 "${photos[@]}" >"$T/scores.amd64" || fail "amd64: classify int8"
	has "$T/scores.amd64" "macaw"
	for cpu in $cpus; do
		timeout 300 "$q" -L "$T/stockroot-$1" -cpu "$cpu" "$bin" classify --model "$T/sq.neonet" --json --top 5 \
			"${photos[@]}" >"$T/scores.$cpu" || fail "$cpu: classify int8"
		cmp "$T/scores.amd64" "$T/scores.$cpu" || { diff "$T/scores.amd64" "$T/scores.$cpu"; fail "$cpu: int8 scores differ from amd64"; }
	done
	for cpu in $cpus; do
		timeout 300 "$q" -L "$T/stockroot-$1" -cpu "$cpu" "$bin" run --config "$repo/deploy/demo.toml" \
			--model "$T/sq.neonet" --camera "$video" --sim --frames 3 >"$T/run.$cpu" 2>&1 ||
			{ cat "$T/run.$cpu"; fail "$cpu: neonet run"; }
		has "$T/run.$cpu" "event=ready"
		has "$T/run.$cpu" "event=stop"
		lacks "$T/run.$cpu" "event=fault"
	done
}

test_sysroot_cache() {
	# The sysroot `make firmware` used is reused as it is.
	target "$1"
	local t0
	t0=$(date +%s)
	"$SYSROOT_SH" --arch "$darch" --out "$sysroot" >"$T/sr.log" 2>&1 || { cat "$T/sr.log"; fail "sysroot.sh"; }
	has "$T/sr.log" "is up to date"
	[ $(($(date +%s) - t0)) -lt 10 ] || fail "reusing the sysroot took $(($(date +%s) - t0)) s"
	[ -f "$sysroot/usr/lib/$triplet/pkgconfig/opencv4.pc" ] || fail "no opencv4.pc in $sysroot"
	[ -L "$sysroot/lib" ] || fail "$sysroot/lib is not bookworm's merged-/usr link"
	if find "$sysroot/usr" -type l -lname '/*' -print -quit | grep -q .; then fail "absolute symlinks left in $sysroot/usr"; fi
}

test_stock_list() {
	# Every library on the stock list is in a package of the minbase
	# debootstrap (its .debs are in the sysroot cache), except OpenSSL and
	# the other architecture's loader.
	target "$1"
	local cache=$repo/build/sysroot-cache/debootstrap so p
	[ -f "$sysroot/debootstrap/debpaths" ] || fail "$sysroot/debootstrap/debpaths: not a debootstrap sysroot"
	[ -d "$cache" ] || fail "$cache: no debootstrap package cache (make sysroot)"
	while read -r _ p; do
		dpkg-deb -c "$cache/${p##*/}" || fail "$cache/${p##*/}: cannot list"
	done <"$sysroot/debootstrap/debpaths" | awk '{ n = split($6, a, "/"); print a[n] }' | sort -u >"$T/minbase"
	[ "$(wc -l <"$T/minbase")" -gt 1000 ] || fail "minbase file list too short"
	grep -qxF "$loader" "$T/minbase" || fail "$loader is not in the minbase packages"
	while read -r so; do
		case $so in
		libssl.so.3 | libcrypto.so.3) continue ;;
		ld-linux-*) [ "$so" = "$loader" ] || continue ;;
		esac
		grep -qxF "$so" "$T/minbase" || fail "$so is on the stock list but in no minbase package"
	done < <(sed -e 's/#.*//' -e 's/[[:space:]]//g' -e '/^$/d' "$repo/scripts/flash-stock-libs.txt")
}

test_real_firmware() {
	# The real firmware, bundle, unit and configuration into the synthetic
	# image of its userland: 259 MB that do not fit, so the root grows; a
	# second run is a no-op.
	target "$1"
	local n
	[ -f "$bin" ] || fail "$bin not built (make firmware ARCH=$1)"
	"$FLASH" --image "$img" --out "$T/real.img" --binary "$bin" --model "$FX/model.neonet" --serial-log 2>"$T/log" ||
		{ cat "$T/log"; fail "flash.sh with the real firmware"; }
	has "$T/log" "$darch userland"
	eq "$(ext_sum "$T/real.img" /opt/neonet/bin/neonet)" "$(sum "$bin")" "binary"
	n=$(ext "$T/real.img" "ls -p /opt/neonet/lib" | awk -F/ 'NF >= 6 && $6 != "." && $6 != ".."' | wc -l)
	eq "$n" "$(find "$tdist/lib" -maxdepth 1 -type f | wc -l)" "bundled libraries in the image"
	e2fsck -fn "$T/real.img?offset=$ROOT_OFF" >"$T/fsck" 2>&1 || { cat "$T/fsck"; fail "e2fsck"; }
	"$FLASH" --image "$T/real.img" --out "$T/real2.img" --binary "$bin" --model "$FX/model.neonet" --serial-log 2>"$T/log"
	[ "$(sum "$T/real2.img")" = "$(sum "$T/real.img")" ] || { cat "$T/log"; fail "second run changed the image"; }
	rm -f "$T/real.img" "$T/real2.img"
}

test_qemu_opencv() {
	# The camera package's OpenCV code, cross-built and run on the board's
	# architecture with only the stock libraries and the bundle: decodes
	# the shared videos.
	target "$1"
	local b=$T/probe-$1 r=$T/stockroot-$1
	[ -d "$r" ] || stockroot "$r"
	GO=$GO "$repo/scripts/flash-build.sh" --arch "$1" --sysroot "$sysroot" --out "$b" --pkg ./camera --test --name camera.test \
		>"$T/probe.log" 2>&1 || { cat "$T/probe.log"; fail "cross-building the camera tests"; }
	(cd "$b" && "$LIBS" needed camera.test) | grep -q libopencv_videoio || fail "camera.test does not link OpenCV"
	rm -rf "$r/opt/neonet/lib"
	cp -al "$b/lib" "$r/opt/neonet/lib" 2>/dev/null || cp -a "$b/lib" "$r/opt/neonet/lib"
	(cd "$repo/camera" && NEONET_DATA=$DATA "$q" -L "$r" -cpu "$cpu1" "$b/camera.test" \
		-test.run 'TestVideoFilesAsCameras' -test.v) >"$T/probe.run" 2>&1 || { tail -30 "$T/probe.run"; fail "camera.test on $1"; }
	has "$T/probe.run" "--- PASS: TestVideoFilesAsCameras"
	rm -rf "$r/opt/neonet/lib" "$b"
	cp -al "$tdist/lib" "$r/opt/neonet/lib" 2>/dev/null || cp -a "$tdist/lib" "$r/opt/neonet/lib"
}

# ---------------------------------------------------------------- run

tests=(test_help test_image test_idempotent test_update test_grow test_repo_unit test_unit_security test_xz test_bad_inputs
	test_image32 test_arch test_device test_libs test_sysroot_sources test_ssh test_ssh32)
if [ "$qemu" = 1 ]; then
	for a in ${archs//,/ }; do
		for t in test_sysroot_cache test_stock_list test_qemu test_qemu_daemon test_qemu_opencv test_real_firmware; do
			tests+=("$t:$a")
		done
	done
fi
failed=()
for t in "${tests[@]}"; do
	[ -z "$only" ] || [[ $t =~ $only ]] || continue
	if [[ $t == test_ssh* ]] && [ -z "$sshd_pid" ]; then
		start_sshd >"$T/sshd.start" 2>&1 || { cat "$T/sshd.start"; failed+=("$t"); echo "FAIL $t (sshd)"; continue; }
	fi
	start=$(date +%s%N)
	set +e
	# A test named NAME:ARCH is NAME run with ARCH.
	(set -e; if [[ $t == *:* ]]; then "${t%%:*}" "${t#*:}"; else "$t"; fi) >"$T/$t.log" 2>&1
	rc=$?
	set -e
	took=$((($(date +%s%N) - start) / 100000000))
	took=$((took / 10)).$((took % 10))
	if [ "$rc" = 0 ]; then
		echo "PASS $t (${took}s)"
	else
		echo "FAIL $t (${took}s)"
		sed 's/^/    /' "$T/$t.log"
		failed+=("$t")
	fi
done
if [ ${#failed[@]} -gt 0 ]; then
	echo "flash_test.sh: ${#failed[@]} failed: ${failed[*]}"
	exit 1
fi
echo "flash_test.sh: all passed"
