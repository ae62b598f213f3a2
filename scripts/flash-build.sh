#!/usr/bin/env bash
# Cross-build neonet for the board (linux/arm64, cgo + OpenCV) against a
# Debian sysroot, and bundle the libraries it needs. See docs/flash.md.
set -euo pipefail

usage() {
	cat <<'EOF'
Usage: scripts/flash-build.sh [--arch A] [--sysroot DIR] [--out DIR] [--pkg PATTERN] [--name NAME]

Builds PATTERN (default ./cmd/neonet) for linux/arm64 (64-bit Raspberry Pi
OS) or linux/arm with GOARM=7 (--arch armv7: 32-bit Raspberry Pi OS, whose
armhf userland runs ARMv7 code on a Pi 2, 3, 4, 5 and Zero 2) with cgo, so
the camera package's OpenCV code (files with //go:build cgo) is in, using
Debian's cross compiler against the sysroot made by scripts/sysroot.sh:

  CC="aarch64-linux-gnu-gcc --sysroot=DIR" (arm-linux-gnueabihf-gcc for
  armv7; and CXX), pkg-config reading the
  sysroot's opencv4.pc (PKG_CONFIG_LIBDIR, PKG_CONFIG_SYSROOT_DIR),
  linked with -Wl,--as-needed (only the OpenCV modules used become NEEDED)
  and a DT_RPATH of /opt/neonet/lib (-Wl,--disable-new-dtags: unlike
  RUNPATH, the executable's RPATH also serves its libraries' own NEEDED).

Writes OUT/NAME (default dist/neonet-linux-arm64) and OUT/lib/, the shared
libraries it needs beyond a stock Raspberry Pi OS Lite
(scripts/flash-libs.sh bundle), then checks the bundle (flash-libs.sh check).
Both are built beside OUT and moved into place at the end. For armv7 the
defaults are build/sysroot-bookworm-armhf, dist/armv7 and
neonet-linux-armv7: each architecture keeps its own lib/ beside its binary.

Options:
  --arch A        arm64 (default) or armv7
  --sysroot DIR   default build/sysroot-bookworm-arm64 (armhf for armv7)
  --out DIR       default dist (dist/armv7 for armv7)
  --pkg PATTERN   Go package to build (default ./cmd/neonet)
  --name NAME     output file name (default neonet-linux-arm64 or -armv7)
  --test          build the package's test binary (go test -c) instead
  -h, --help      this help

Environment: GO (default go), CROSS (default aarch64-linux-gnu, or
arm-linux-gnueabihf for armv7).
EOF
}

die() { echo "flash-build.sh: $*" >&2; exit 1; }
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

arch=arm64 sysroot='' out='' name=''
pkg=./cmd/neonet
test=0
while [ $# -gt 0 ]; do
	case $1 in
	--arch) arch=${2:?--arch needs arm64 or armv7}; shift 2 ;;
	--sysroot) sysroot=${2:?--sysroot needs a directory}; shift 2 ;;
	--out) out=${2:?--out needs a directory}; shift 2 ;;
	--pkg) pkg=${2:?--pkg needs a Go package}; shift 2 ;;
	--name) name=${2:?--name needs a file name}; shift 2 ;;
	--test) test=1; shift ;;
	-h | --help) usage; exit 0 ;;
	*) usage >&2; die "unknown argument '$1'" ;;
	esac
done

case $arch in
arm64) goenv=(GOARCH=arm64) cross=aarch64-linux-gnu debarch=arm64 dir=dist ;;
armv7) goenv=(GOARCH=arm GOARM=7) cross=arm-linux-gnueabihf debarch=armhf dir=dist/armv7 ;;
*) die "--arch $arch: expected arm64 or armv7" ;;
esac
sysroot=${sysroot:-build/sysroot-bookworm-$debarch}
out=${out:-$dir}
name=${name:-neonet-linux-$arch}
GO=${GO:-go}
CROSS=${CROSS:-$cross}
command -v "$GO" >/dev/null || die "$GO not found (Go 1.26 at /usr/local/go/bin)"
for c in "$CROSS-gcc" "$CROSS-g++" pkg-config; do
	command -v "$c" >/dev/null || die "$c not found (apt-get install gcc-$CROSS g++-$CROSS pkg-config)"
done
[ -f "$sysroot/.neonet-sysroot" ] || die "$sysroot: no sysroot here (make it with scripts/sysroot.sh --arch $debarch --out $sysroot)"
sysroot=$(cd "$sysroot" && pwd)
pcdir=$sysroot/usr/lib/$CROSS/pkgconfig
[ -f "$pcdir/opencv4.pc" ] || die "$pcdir/opencv4.pc: not found (expected libopencv-dev in scripts/sysroot-packages.txt)"

mkdir -p "$out"
tmp=$(mktemp -d "$out/.build.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
libs="$sysroot/usr/lib/$CROSS:$sysroot/lib/$CROSS"

export CGO_ENABLED=1 GOOS=linux "${goenv[@]}"
export CC="$CROSS-gcc --sysroot=$sysroot"
export CXX="$CROSS-g++ --sysroot=$sysroot"
export PKG_CONFIG_LIBDIR="$pcdir:$sysroot/usr/share/pkgconfig"
export PKG_CONFIG_SYSROOT_DIR=$sysroot
export PKG_CONFIG_PATH=
# --as-needed must precede the -l flags: CGO_LDFLAGS comes before pkg-config's.
export CGO_LDFLAGS="-Wl,--as-needed -Wl,-rpath-link,$libs"
ldflags="-extldflags '-Wl,--disable-new-dtags -Wl,-rpath,/opt/neonet/lib'"

start=$(date +%s)
if [ "$test" = 1 ]; then
	"$GO" test -c -trimpath -ldflags="$ldflags" -o "$tmp/$name" "$pkg"
else
	"$GO" build -trimpath -ldflags="$ldflags" -o "$tmp/$name" "$pkg"
fi
[ -f "$tmp/$name" ] || die "$pkg: go produced no binary (a package without tests?)"
"$here/flash-libs.sh" bundle --binary "$tmp/$name" --sysroot "$sysroot" --out "$tmp/lib"
"$here/flash-libs.sh" check --binary "$tmp/$name" --lib-dir "$tmp/lib"

# Into place: the libraries first, then the binary that needs them.
rm -rf "$out/lib.old"
[ ! -e "$out/lib" ] || mv "$out/lib" "$out/lib.old"
mv "$tmp/lib" "$out/lib"
rm -rf "$out/lib.old"
mv "$tmp/$name" "$out/$name"
echo "flash-build.sh: $out/$name ($(du -h "$out/$name" | cut -f1)), $out/lib ($(du -sh "$out/lib" | cut -f1)), $(($(date +%s) - start)) s"
