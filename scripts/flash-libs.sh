#!/usr/bin/env bash
# The shared libraries neonet bundles in /opt/neonet/lib: compute them from a
# sysroot, or check a bundle. See docs/flash.md.
set -euo pipefail

usage() {
	cat <<'EOF'
Usage: scripts/flash-libs.sh bundle --binary FILE --sysroot DIR --out DIR [--stock FILE]
       scripts/flash-libs.sh check  --binary FILE --lib-dir DIR [--stock FILE]
       scripts/flash-libs.sh needed FILE

bundle  follows the binary's NEEDED entries (readelf -d) recursively, resolving
        each soname inside the sysroot (lib/ and usr/lib/ with the target's
        multiarch directory, plus the RPATH/RUNPATH of the library asking),
        and copies every library not on the stock list into --out under its
        soname. A soname that cannot be resolved is an error. --out is
        replaced as a whole, at the end.
check   fails, naming each one, when a NEEDED library of the binary or of a
        bundled library is neither in --lib-dir nor on the stock list; and
        when the binary lacks the /opt/neonet/lib RPATH while a bundle exists.
needed  prints the NEEDED sonames of an ELF file.

--stock FILE  sonames a stock Raspberry Pi OS Lite has (default
              scripts/flash-stock-libs.txt, which says how it was chosen)

READELF (default aarch64-linux-gnu-readelf, else readelf) reads the files.
EOF
}

die() { echo "flash-libs.sh: $*" >&2; exit 1; }
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
RPATH=/opt/neonet/lib

readelf_cmd=${READELF:-}
if [ -z "$readelf_cmd" ]; then
	if command -v aarch64-linux-gnu-readelf >/dev/null; then readelf_cmd=aarch64-linux-gnu-readelf; else readelf_cmd=readelf; fi
fi
command -v "$readelf_cmd" >/dev/null || die "$readelf_cmd not found (apt-get install binutils-aarch64-linux-gnu)"

# dyn FILE TAG prints the values of one dynamic tag (NEEDED, RPATH, RUNPATH).
dyn() {
	local out
	out=$("$readelf_cmd" -d "$1" 2>&1) || die "$1: not an ELF file readelf understands ($out)"
	echo "$out" | sed -n "s/.*($2)[^[]*\[\(.*\)\]$/\1/p"
}

cmd=${1:-}
[ $# -gt 0 ] && shift
binary='' sysroot='' out='' libdir='' stock=$here/flash-stock-libs.txt
case $cmd in
-h | --help) usage; exit 0 ;;
needed) [ $# = 1 ] || die "needed takes one ELF file"; [ -f "$1" ] || die "$1: not found"; dyn "$1" NEEDED; exit 0 ;;
bundle | check) ;;
*) usage >&2; die "unknown argument '$cmd' (expected bundle, check or needed)" ;;
esac
while [ $# -gt 0 ]; do
	case $1 in
	--binary) binary=${2:?--binary needs a file}; shift 2 ;;
	--sysroot) sysroot=${2:?--sysroot needs a directory}; shift 2 ;;
	--out) out=${2:?--out needs a directory}; shift 2 ;;
	--lib-dir) libdir=${2:?--lib-dir needs a directory}; shift 2 ;;
	--stock) stock=${2:?--stock needs a file}; shift 2 ;;
	-h | --help) usage; exit 0 ;;
	*) usage >&2; die "unknown argument '$1'" ;;
	esac
done
[ -n "$binary" ] || die "$cmd needs --binary FILE"
[ -f "$binary" ] || die "$binary: binary not found"
[ -f "$stock" ] || die "$stock: stock library list not found"
stocklist=$(sed -e 's/#.*//' -e 's/[[:space:]]//g' -e '/^$/d' "$stock")
is_stock() { grep -qxF "$1" <<<"$stocklist"; }

if [ "$cmd" = check ]; then
	[ -n "$libdir" ] || die "check needs --lib-dir DIR"
	[ -d "$libdir" ] || die "$libdir: library directory not found"
	bad=0
	for f in "$binary" "$libdir"/*; do
		[ -f "$f" ] || continue
		while read -r so; do
			[ -n "$so" ] || continue
			is_stock "$so" && continue
			[ -f "$libdir/$so" ] && continue
			echo "flash-libs.sh: $f needs $so, which is neither in $libdir nor in $stock" >&2
			bad=1
		done < <(dyn "$f" NEEDED)
	done
	if [ -n "$(find "$libdir" -maxdepth 1 -type f -print -quit)" ]; then
		rp=$(dyn "$binary" RPATH)
		case ":$rp:" in
		*":$RPATH:"*) ;;
		*) echo "flash-libs.sh: $binary has no DT_RPATH $RPATH (has '$rp'; RUNPATH '$(dyn "$binary" RUNPATH)'), so the bundle would not be found" >&2; bad=1 ;;
		esac
	fi
	[ "$bad" = 0 ] || exit 1
	echo "flash-libs.sh: $binary: every NEEDED library is bundled ($(find "$libdir" -maxdepth 1 -type f | wc -l) in $libdir) or stock"
	exit 0
fi

# bundle
[ -n "$sysroot" ] || die "bundle needs --sysroot DIR"
[ -d "$sysroot/usr/lib" ] || die "$sysroot: not a sysroot (no usr/lib; make it with scripts/sysroot.sh)"
[ -n "$out" ] || die "bundle needs --out DIR"
sysroot=$(cd "$sysroot" && pwd)
machine=$("$readelf_cmd" -h "$binary" | sed -n 's/^ *Machine: *//p')
case $machine in
AArch64) triplet=aarch64-linux-gnu ;;
*X86-64*) triplet=x86_64-linux-gnu ;;
ARM) triplet=arm-linux-gnueabihf ;;
*) die "$binary: machine '$machine' not supported" ;;
esac
defaults="/lib/$triplet /usr/lib/$triplet /lib /usr/lib"

# resolve SONAME FILE: the library's path inside the sysroot, searched in the
# RPATH/RUNPATH of FILE (its $ORIGIN taken inside the sysroot), then the
# default directories, as the loader on the board would.
declare -A searchdirs=()
resolve() {
	local so=$1 from=$2 dirs d origin
	origin=/${from#"$sysroot"/}
	origin=${origin%/*}
	if [ -z "${searchdirs[$from]:-}" ]; then
		searchdirs[$from]="$(dyn "$from" RPATH | tr ':' ' ') $(dyn "$from" RUNPATH | tr ':' ' ') $defaults"
	fi
	dirs=${searchdirs[$from]}
	for d in $dirs; do
		d=${d//\$ORIGIN/$origin}
		d=${d//\$\{ORIGIN\}/$origin}
		[ "$d" = "$RPATH" ] && continue
		if [ -e "$sysroot$d/$so" ]; then
			echo "$sysroot$d/$so"
			return 0
		fi
	done
	return 1
}

mkdir -p "$(dirname "$out")"
tmp=$(mktemp -d "$(dirname "$out")/.libs.XXXXXX")
chmod 755 "$tmp"
trap 'rm -rf "$tmp"' EXIT
queue=("$binary")
declare -A seen=()
while [ ${#queue[@]} -gt 0 ]; do
	f=${queue[0]}
	queue=("${queue[@]:1}")
	while read -r so; do
		[ -n "$so" ] || continue
		[ -z "${seen[$so]:-}" ] || continue
		seen[$so]=1
		is_stock "$so" && continue
		resolve "$so" "$(readlink -f "$f")" >"$tmp/.path" || die "$f needs $so, not found in $sysroot (add its package to scripts/sysroot-packages.txt)"
		path=$(cat "$tmp/.path")
		cp -L "$path" "$tmp/$so"
		chmod 644 "$tmp/$so"
		queue+=("$path")
	done < <(dyn "$f" NEEDED)
done
rm -rf "$out.old"
[ ! -e "$out" ] || mv "$out" "$out.old"
rm -f "$tmp/.path"
mv "$tmp" "$out"
rm -rf "$out.old"
trap - EXIT
echo "flash-libs.sh: $(find "$out" -type f | wc -l) libraries ($(du -sh "$out" | cut -f1)) bundled in $out"
