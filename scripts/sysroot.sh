#!/usr/bin/env bash
# Make (or reuse) a Debian arm64 or armhf sysroot for cross-building neonet
# with cgo and OpenCV. See docs/flash.md.
set -euo pipefail

usage() {
	cat <<'EOF'
Usage: scripts/sysroot.sh [--out DIR] [--packages FILE] [--suite S] [--arch A]
                          [--mirror URL] [--cache DIR] [--print-mirror] [--force]

Makes a Debian sysroot for cross-compiling: a foreign, minimal debootstrap
(`debootstrap --foreign --variant=minbase`, nothing runs inside it) plus the
packages listed in FILE and their dependencies (no recommends), downloaded by
a private apt configuration for the target architecture and unpacked with
`dpkg-deb -x`. Nothing is installed on the host. Absolute symlinks are made
relative and the BLAS/LAPACK alternatives are linked, so that
`aarch64-linux-gnu-gcc --sysroot=DIR` (arm-linux-gnueabihf-gcc for armhf) and
pkg-config find everything.

The mirror comes from this machine's apt sources (/etc/apt/sources.list,
/etc/apt/sources.list.d/*.list and *.sources): the entries for SUITE and
SUITE-* (updates, security), so the sysroot matches the host's versions.
NEONET_APT_ETC=DIR reads DIR/sources.list* instead of /etc/apt's (for tests).

The sysroot is cached: DIR/.neonet-sysroot holds a key made of the suite, the
architecture and the package list; when it matches, nothing is done. It is
built beside DIR and moved into place at the end, so an interrupted run never
leaves a half-made sysroot. Downloaded packages are kept in the cache dir.

Options:
  --out DIR        the sysroot (default build/sysroot-SUITE-ARCH)
  --packages FILE  package list, one a line, '#' comments
                   (default scripts/sysroot-packages.txt)
  --suite S        Debian suite (default bookworm)
  --arch A         Debian architecture: arm64 (default), armhf (32-bit
                   Raspberry Pi OS) or amd64
  --mirror URL     use this mirror instead of the apt sources' one
  --cache DIR      downloaded packages (default build/sysroot-cache)
  --print-mirror   print the apt source lines that would be used, and exit
  --force          rebuild even when the cache key matches
  -h, --help       this help

Needs root (debootstrap), debootstrap, apt-get, dpkg-deb and tar.
EOF
}

die() { echo "sysroot.sh: $*" >&2; exit 1; }

out=
pkgfile=scripts/sysroot-packages.txt
suite=bookworm
arch=arm64
mirror=
cache=build/sysroot-cache
print_mirror=0
force=0
while [ $# -gt 0 ]; do
	case $1 in
	--out) out=${2:?--out needs a directory}; shift 2 ;;
	--packages) pkgfile=${2:?--packages needs a file}; shift 2 ;;
	--suite) suite=${2:?--suite needs a name}; shift 2 ;;
	--arch) arch=${2:?--arch needs a name}; shift 2 ;;
	--mirror) mirror=${2:?--mirror needs a URL}; shift 2 ;;
	--cache) cache=${2:?--cache needs a directory}; shift 2 ;;
	--print-mirror) print_mirror=1; shift ;;
	--force) force=1; shift ;;
	-h | --help) usage; exit 0 ;;
	*) usage >&2; die "unknown argument '$1'" ;;
	esac
done

out=${out:-build/sysroot-$suite-$arch}
case $arch in
arm64) triplet=aarch64-linux-gnu ;;
armhf) triplet=arm-linux-gnueabihf ;;
amd64) triplet=x86_64-linux-gnu ;;
*) die "--arch $arch: expected arm64, armhf or amd64" ;;
esac

# apt_sources prints "URI SUITE COMPONENTS SIGNED-BY" for every binary
# ("deb") entry of the machine's apt sources, one-line and deb822 formats.
apt_sources() {
	local f etc=${NEONET_APT_ETC:-/etc/apt}
	for f in "$etc/sources.list" "$etc"/sources.list.d/*.list; do
		[ -f "$f" ] || continue
		awk '
			/^[[:space:]]*deb[[:space:]]/ {
				signed = "-"; i = 2
				if ($2 ~ /^\[/) {
					for (; i <= NF; i++) {
						o = $i; gsub(/[\[\]]/, "", o)
						if (o ~ /^signed-by=/) { sub(/^signed-by=/, "", o); signed = o }
						if ($i ~ /\]$/) { i++; break }
					}
				}
				comps = ""
				for (j = i + 2; j <= NF && $j !~ /^#/; j++) comps = comps (comps == "" ? "" : ",") $j
				print $i, $(i + 1), comps, signed
			}' "$f"
	done
	for f in "$etc"/sources.list.d/*.sources; do
		[ -f "$f" ] || continue
		awk '
			function flush() {
				if (types ~ /(^|[[:space:]])deb([[:space:]]|$)/ && enabled !~ /^no$/) {
					n = split(uris, u, /[[:space:]]+/); m = split(suites, s, /[[:space:]]+/)
					c = comps; gsub(/[[:space:]]+/, ",", c)
					for (a = 1; a <= n; a++) for (b = 1; b <= m; b++)
						if (u[a] != "" && s[b] != "") print u[a], s[b], c, (signed == "" || signed ~ /BEGIN/ ? "-" : signed)
				}
				types = uris = suites = comps = signed = enabled = ""; last = ""
			}
			/^#/ { next }
			/^[[:space:]]*$/ { flush(); next }
			/^[[:space:]]/ { if (last == "signed") signed = signed "BEGIN"; next }
			{
				key = tolower($1); sub(/:$/, "", key); val = $0; sub(/^[^:]*:[[:space:]]*/, "", val)
				last = key == "signed-by" ? "signed" : key
				if (key == "types") types = val
				else if (key == "uris") uris = val
				else if (key == "suites") suites = val
				else if (key == "components") comps = val
				else if (key == "signed-by") signed = val
				else if (key == "enabled") enabled = val
			}
			END { flush() }' "$f"
	done
}

keyring=/usr/share/keyrings/debian-archive-keyring.gpg
# target_sources prints the sources.list lines for the target: the host's
# entries for SUITE and SUITE-*, or --mirror.
target_sources() {
	if [ -n "$mirror" ]; then
		echo "deb [arch=$arch signed-by=$keyring] $mirror $suite main"
		return
	fi
	apt_sources | while read -r uri s comps signed; do
		case $s in
		"$suite" | "$suite"-* | "$suite"/*) ;;
		*) continue ;;
		esac
		[ "$signed" = - ] && signed=$keyring
		echo "deb [arch=$arch signed-by=$signed] $uri $s ${comps//,/ }"
	done | awk '!seen[$0]++'
}

sources=$(target_sources)
[ -n "$sources" ] || die "no apt source for suite '$suite' in /etc/apt/sources.list or /etc/apt/sources.list.d/ (expected a 'deb' entry with suite $suite); pass --mirror URL"
if [ "$print_mirror" = 1 ]; then
	echo "$sources"
	exit 0
fi
# debootstrap takes one mirror: the first entry for exactly SUITE.
base_mirror=$(echo "$sources" | awk -v s="$suite" '{ for (i = 1; i <= NF; i++) if ($i == s) { print $(i - 1); exit } }')
[ -n "$base_mirror" ] || die "no apt source for exactly suite '$suite' (only ${suite}-* ones); pass --mirror URL"

[ -f "$pkgfile" ] || die "$pkgfile: package list not found (expected one Debian package a line)"
packages=$(sed -e 's/#.*//' -e 's/[[:space:]]//g' -e '/^$/d' "$pkgfile" | sort -u)
[ -n "$packages" ] || die "$pkgfile: no package names in it"

# The cache key: format version, suite, architecture, package list.
key=$(printf 'neonet-sysroot 1\n%s %s\n%s\n' "$suite" "$arch" "$packages" | sha256sum | cut -c1-16)
stamp=$out/.neonet-sysroot
if [ "$force" = 0 ] && [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$key" ]; then
	echo "sysroot $out is up to date (key $key)"
	exit 0
fi

[ "$(id -u)" = 0 ] || die "must run as root (debootstrap needs it); try: sudo $0"
for c in debootstrap apt-get dpkg-deb tar sha256sum; do
	command -v "$c" >/dev/null || die "$c not found (apt-get install debootstrap apt dpkg tar coreutils)"
done

start=$(date +%s)
mkdir -p "$(dirname "$out")" "$cache"
cache=$(cd "$cache" && pwd)
tmp=$(mktemp -d "$(dirname "$out")/.sysroot.XXXXXX")
tmp=$(cd "$tmp" && pwd)
cleanup() { rm -rf "$tmp"; }
trap cleanup EXIT
root=$tmp/root

echo "sysroot: debootstrap --foreign --variant=minbase $suite ($arch) from $base_mirror"
mkdir -p "$cache/debootstrap"
debootstrap --foreign --arch="$arch" --variant=minbase --cache-dir="$cache/debootstrap" \
	--keyring="$keyring" "$suite" "$root" "$base_mirror" >"$tmp/debootstrap.log" 2>&1 ||
	{ tail -20 "$tmp/debootstrap.log" >&2; die "debootstrap failed (log above)"; }

# A private apt for the target architecture: its own sources, lists, an
# empty dpkg status (so every dependency is fetched) and its own archive.
apt=$cache/apt-$suite-$arch
mkdir -p "$apt/lists/partial" "$apt/archives/partial" "$apt/etc/apt.conf.d" "$apt/etc/preferences.d" "$apt/etc/sources.list.d"
echo "$sources" >"$apt/etc/sources.list"
: >"$apt/status"
aptopts=(
	-o "APT::Architecture=$arch" -o "APT::Architectures=$arch"
	-o "Dir::State=$apt" -o "Dir::State::Lists=$apt/lists" -o "Dir::State::status=$apt/status"
	-o "Dir::Cache=$apt" -o "Dir::Cache::archives=$apt/archives"
	-o "Dir::Etc::SourceList=$apt/etc/sources.list" -o "Dir::Etc::SourceParts=$apt/etc/sources.list.d"
	-o "Dir::Etc::Parts=$apt/etc/apt.conf.d" -o "Dir::Etc::PreferencesParts=$apt/etc/preferences.d"
	-o "Dir::Etc::Preferences=$apt/etc/preferences"
	-o "APT::Sandbox::User=root" -o "APT::Install-Recommends=false" -o "Debug::NoLocking=true"
	-o "Acquire::Languages=none"
)
echo "sysroot: apt-get update ($arch)"
apt-get "${aptopts[@]}" -q update >"$tmp/apt.log" 2>&1 ||
	{ tail -20 "$tmp/apt.log" >&2; die "apt-get update for $arch failed (log above)"; }
# shellcheck disable=SC2086 # one word per package
apt-get "${aptopts[@]}" -s install $packages >"$tmp/plan" 2>"$tmp/apt.log" ||
	{ cat "$tmp/apt.log" >&2; die "cannot resolve ${packages//$'\n'/ } for $arch (apt output above)"; }
echo "sysroot: downloading $(grep -c '^Inst ' "$tmp/plan") packages"
# shellcheck disable=SC2086
apt-get "${aptopts[@]}" -q -y --download-only install $packages >>"$tmp/apt.log" 2>&1 ||
	{ tail -20 "$tmp/apt.log" >&2; die "download failed (log above)"; }

# Unpack exactly the planned versions. dpkg-deb's own extraction would
# replace bookworm's merged-/usr symlinks (/lib -> usr/lib); tar keeps them.
n=0
while read -r _ name ver; do
	ver=${ver#(}
	deb=$apt/archives/${name}_${ver//:/%3a}_
	set -- "$deb"*.deb
	[ -f "$1" ] || die "$deb*.deb: downloaded package not found in $apt/archives"
	dpkg-deb --fsys-tarfile "$1" | tar -x --keep-directory-symlink -C "$root"
	n=$((n + 1))
done < <(awk '/^Inst /{ print $1, $2, $3 }' "$tmp/plan")
echo "sysroot: unpacked $n packages"

# Absolute symlinks would point into the host once the tree is a sysroot.
while IFS= read -r -d '' link; do
	target=$(readlink "$link")
	case $target in
	/*) ln -sfn "$(realpath -m --relative-to="$(dirname "$link")" "$root$target")" "$link" ;;
	esac
done < <(find "$root" -path "$root/dev" -prune -o -type l -print0)

# update-alternatives never ran: link the BLAS/LAPACK implementations that
# were unpacked (libblas.so.3 -> blas/libblas.so.3) unless already present.
libdir=$root/usr/lib/$triplet
for sub in blas lapack openblas-pthread atlas; do
	[ -d "$libdir/$sub" ] || continue
	for so in "$libdir/$sub"/*.so*; do
		[ -e "$so" ] || continue
		base=$(basename "$so")
		[ -e "$libdir/$base" ] || ln -s "$sub/$base" "$libdir/$base"
	done
done

echo "$key" >"$root/.neonet-sysroot"
# Move into place: the old tree aside first, so $out is always whole.
if [ -e "$out" ]; then
	mv "$out" "$tmp/old"
fi
mv "$root" "$out"
echo "sysroot: $out ready ($(du -sh "$out" | cut -f1), $(($(date +%s) - start)) s, key $key)"
