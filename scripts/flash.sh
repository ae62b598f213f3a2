#!/usr/bin/env bash
# Put neonet on a Raspberry Pi: customise an OS image offline, write it to an
# SD card, or deploy to a running board over SSH. See docs/flash.md.
set -euo pipefail

usage() {
	cat <<'EOF'
Usage:
  scripts/flash.sh --image IN.img[.xz] --out OUT.img [FILES] [--ssh] [--hostname H]
                   [--user NAME:HASH] [--serial-log]
  scripts/flash.sh --device /dev/sdX --image OUT.img [--yes] [--allow-file] [--allow-non-removable]
  scripts/flash.sh --host USER@HOST [--port N] [--identity KEY] [FILES]

Image mode customises a Raspberry Pi OS (Bookworm) image offline, without
mounting it or using loop devices: the partitions are found in the MBR
(sfdisk --json), the FAT boot partition is edited with mtools and the ext4
root with debugfs, both at the partition's offset. The image's architecture
is that of its /usr/bin/dpkg: arm64 (64-bit) or armhf (32-bit), and the
binary must match it. It installs

  /opt/neonet/bin/neonet           the binary (--binary), 0755
  /usr/local/bin/neonet            a symlink to it
  /opt/neonet/lib/*                the bundled shared libraries (--lib-dir)
  /etc/neonet/neonet.toml          the configuration (--config)
  the model (--model)              at the path the configuration's `model`
                                   names, else /var/lib/neonet/model.neonet
                                   (the daemon's default)
  /etc/systemd/system/neonet.service and its enable symlink in
                                   <WantedBy>.wants (--unit)
  the unit's User= as a system user, if the image lacks it

and sets enable_uart=1 in config.txt. Options:
  --serial-log       remove console=serial0,115200 (and ttyS0/ttyAMA0 consoles)
                     from cmdline.txt, so the UART carries only neonet's log
  --ssh              enable the SSH server (an empty `ssh` file on the boot partition)
  --hostname H       /etc/hostname and the 127.0.1.1 line of /etc/hosts
  --user NAME:HASH   the first user, through Bookworm's userconf.txt; HASH is a
                     crypt(3) hash, e.g. from `openssl passwd -6`
Only what differs is written: a second run on its own output changes no byte.
When the files do not fit, the image, its root partition (the last one) and
the ext4 file system are grown in 64 MB steps (the board grows them to the
card on first boot anyway).
The work is done on a copy beside OUT, moved into place at the end.

Device mode writes an image to an SD card with dd (conv=fsync), then reads it
back and compares SHA-256 checksums. It refuses a device that is mounted (or
any of its partitions), the disk holding /, a partition, a disk that is not
removable (an internal disk; an SD card reader or USB adapter is removable,
hot-pluggable or on the usb or mmc bus) unless --allow-non-removable says it
is meant, and a device smaller than 4 GB, larger than 512 GB or smaller than
the image. It shows the model
and size and asks for confirmation unless --yes. --allow-file accepts a
regular file standing in for the device (for tests); every other check still
applies.

SSH mode deploys to a running board: the files are copied to a staging
directory, the previous binary, libraries, model, configuration and unit are
kept (*.prev), the new ones installed, then `systemctl daemon-reload`,
`enable`, `restart`, and `systemctl is-active` is polled until the service is
active and stays so for --settle seconds. First the board's userland is asked
for its architecture (dpkg --print-architecture: a 64-bit kernel may run a
32-bit userland) and the binary must match it; an ARMv6 board (Pi 1, Zero)
is refused. If the service does not stay active, the previous files
are restored and the service restarted, and the script exits 3. The remote
user must be root or have password-less sudo.
  --port N           SSH port (default 22)
  --identity KEY     SSH private key
  --timeout S        seconds to wait for the service to become active (default 30)
  --settle S         seconds it must then stay active (default 3)
  --ssh-option O=V   an extra ssh -o option (repeatable), e.g. UserKnownHostsFile=FILE
  --remote-root DIR  install under DIR on the remote (default /; for tests)

FILES (image and SSH modes; paths on this machine):
  --binary FILE      default dist/neonet-linux-arm64 (from `make firmware`) for
                     a 64-bit userland, dist/armv7/neonet-linux-armv7 (from
                     `make firmware ARCH=armv7`) for a 32-bit one; it must be
                     an executable for the image's or board's architecture
  --lib-dir DIR      default the lib/ beside the binary (dist/lib)
  --config FILE      default deploy/neonet.toml
  --unit FILE        default deploy/systemd/neonet.service
  --model FILE       default none (the image keeps whatever model it has)
  -h, --help         this help
EOF
}

die() { echo "flash.sh: $*" >&2; exit 1; }
note() { echo "flash.sh: $*" >&2; }

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/.." && pwd)

image='' out='' device='' host=''
binary='' libdir='' config='' unit='' model=''
ssh_on=0 hostname='' userconf='' serial_log=0
yes=0 allow_file=0 allow_fixed=0
port=22 identity='' timeout=30 settle=3 remote_root=/
ssh_opts=()
[ $# -gt 0 ] || { usage >&2; exit 2; }
while [ $# -gt 0 ]; do
	case $1 in
	--image) image=${2:?--image needs a file}; shift 2 ;;
	--out) out=${2:?--out needs a file}; shift 2 ;;
	--device) device=${2:?--device needs a device}; shift 2 ;;
	--host) host=${2:?--host needs USER@HOST}; shift 2 ;;
	--binary) binary=${2:?--binary needs a file}; shift 2 ;;
	--lib-dir) libdir=${2:?--lib-dir needs a directory}; shift 2 ;;
	--config) config=${2:?--config needs a file}; shift 2 ;;
	--unit) unit=${2:?--unit needs a file}; shift 2 ;;
	--model) model=${2:?--model needs a file}; shift 2 ;;
	--ssh) ssh_on=1; shift ;;
	--hostname) hostname=${2:?--hostname needs a name}; shift 2 ;;
	--user) userconf=${2:?--user needs NAME:HASH}; shift 2 ;;
	--serial-log) serial_log=1; shift ;;
	--yes) yes=1; shift ;;
	--allow-file) allow_file=1; shift ;;
	--allow-non-removable) allow_fixed=1; shift ;;
	--port) port=${2:?--port needs a number}; shift 2 ;;
	--identity) identity=${2:?--identity needs a key file}; shift 2 ;;
	--timeout) timeout=${2:?--timeout needs seconds}; shift 2 ;;
	--settle) settle=${2:?--settle needs seconds}; shift 2 ;;
	--remote-root) remote_root=${2:?--remote-root needs a directory}; shift 2 ;;
	--ssh-option) ssh_opts+=(-o "${2:?--ssh-option needs OPTION=VALUE}"); shift 2 ;;
	-h | --help) usage; exit 0 ;;
	*) usage >&2; die "unknown argument '$1'" ;;
	esac
done

need() {
	local c
	for c in "$@"; do
		command -v "$c" >/dev/null || die "$c not found (apt-get install mtools dosfstools e2fsprogs fdisk xz-utils openssh-client)"
	done
}

# ---------------------------------------------------------------- the payload

# Where things go on the board.
OPT=/opt/neonet
BIN_PATH=$OPT/bin/neonet
LIB_PATH=$OPT/lib
LINK_PATH=/usr/local/bin/neonet
CONF_PATH=/etc/neonet/neonet.toml
UNIT_DIR=/etc/systemd/system

# unit_value KEY FILE prints the last KEY= value of a unit file.
unit_value() { sed -n "s/^[[:space:]]*$1[[:space:]]*=[[:space:]]*//p" "$2" | tail -1; }

# config_model FILE prints the top-level `model = "..."` of a TOML file.
config_model() {
	awk '/^[[:space:]]*\[/ { exit }
		/^[[:space:]]*model[[:space:]]*=/ { sub(/^[^=]*=[[:space:]]*/, ""); sub(/[[:space:]]*(#.*)?$/, ""); gsub(/^"|"$/, ""); print; exit }' "$1"
}

# elf_arch FILE prints the Debian architecture an ELF executable is for
# (arm64, armhf, amd64, i386; elf-CLASS-MACHINE for others), or nothing for
# a file that is not ELF. The class is byte 4 (1: 32-bit, 2: 64-bit), the
# little-endian e_machine is at byte 18.
elf_arch() {
	[ "$(head -c 4 "$1" | od -An -c | tr -d ' ')" = '177ELF' ] || return 0
	local class machine
	class=$(od -An -tu1 -j4 -N1 "$1" | tr -d ' ')
	machine=$(od -An -tu2 -j18 -N2 "$1" | tr -d ' ')
	case $class:$machine in
	2:183) echo arm64 ;;
	1:40) echo armhf ;;
	2:62) echo amd64 ;;
	1:3) echo i386 ;;
	*) echo "elf-$class-$machine" ;;
	esac
}

# The binary `make firmware` builds for each Debian architecture of a
# board's userland, and how.
firmware_path() { case $1 in armhf) echo dist/armv7/neonet-linux-armv7 ;; *) echo dist/neonet-linux-arm64 ;; esac; }
firmware_make() { case $1 in armhf) echo "make firmware ARCH=armv7" ;; *) echo "make firmware" ;; esac; }
bits() { case $1 in armhf | i386) echo 32-bit ;; *) echo 64-bit ;; esac; }

# resolve_payload ARCH TARGET checks the local files for a board whose
# userland is Debian architecture ARCH (TARGET names it in messages): the
# binary must be an executable for ARCH. Sets binary, libdir, config, unit,
# unit_name, wanted_by, svc_user and model_path.
resolve_payload() {
	local arch=$1 target=$2 got
	case $arch in
	arm64 | armhf) ;;
	*) die "$target: its userland is ${arch:-of no known architecture}; neonet runs on arm64 (64-bit Raspberry Pi OS) and armhf (32-bit)" ;;
	esac
	binary=${binary:-$repo/$(firmware_path "$arch")}
	[ -f "$binary" ] || die "$binary: binary not found (build it with '$(firmware_make "$arch")', or pass --binary FILE)"
	got=$(elf_arch "$binary")
	[ -n "$got" ] || die "$binary: not an ELF executable (expected $(firmware_path "$arch") from '$(firmware_make "$arch")')"
	if [ "$got" != "$arch" ]; then
		die "$binary: an $got ($(bits "$got")) executable, but $target has an $arch ($(bits "$arch")) userland: use $(firmware_path "$arch") from '$(firmware_make "$arch")'"
	fi
	if [ -z "$libdir" ]; then
		libdir=$(dirname "$binary")/lib
		[ -d "$libdir" ] || { note "no $libdir: no bundled libraries installed"; libdir=; }
	else
		[ -d "$libdir" ] || die "$libdir: library directory not found (expected the bundle from 'make firmware')"
	fi
	if [ -n "$libdir" ] && [ -x "$here/flash-libs.sh" ]; then
		"$here/flash-libs.sh" check --binary "$binary" --lib-dir "$libdir" ||
			die "$binary: shared libraries missing from $libdir (see above)"
	fi
	config=${config:-$repo/deploy/neonet.toml}
	[ -f "$config" ] || die "$config: configuration not found (pass --config FILE)"
	unit=${unit:-$repo/deploy/systemd/neonet.service}
	[ -f "$unit" ] || die "$unit: systemd unit not found (pass --unit FILE)"
	grep -q '^\[Service\]' "$unit" || die "$unit: expected a systemd unit with a [Service] section"
	unit_name=$(basename "$unit")
	local exec
	exec=$(unit_value ExecStart "$unit" | awk '{ print $1 }')
	exec=${exec#[-@+!:]}
	exec=${exec#[-@+!:]}
	case $exec in
	"$BIN_PATH" | "$LINK_PATH") ;;
	*) die "$unit: ExecStart runs '$exec'; expected $BIN_PATH or $LINK_PATH, where flash.sh installs the binary" ;;
	esac
	wanted_by=$(unit_value WantedBy "$unit" | awk '{ print $1 }')
	wanted_by=${wanted_by:-multi-user.target}
	svc_user=$(unit_value User "$unit")
	case $(unit_value DynamicUser "$unit") in yes | true | on | 1) svc_user= ;; esac
	[ "$svc_user" = root ] && svc_user=
	if [ -n "$svc_user" ] && ! [[ $svc_user =~ ^[a-z_][a-z0-9_-]{0,31}$ ]]; then
		die "$unit: User=$svc_user is not a valid user name"
	fi
	model_path=
	if [ -n "$model" ]; then
		[ -f "$model" ] || die "$model: model file not found"
		model_path=$(config_model "$config")
		case $model_path in
		/*) ;;
		'') model_path=/var/lib/neonet/model.neonet ;; # the daemon's default
		*) die "$config: model = \"$model_path\" must be an absolute path on the board" ;;
		esac
	fi
}

# stage_payload DIR fills DIR with the board's files at their paths (large
# ones as symlinks to the originals) and writes
# DIR.manifest: "d PATH MODE", "f PATH MODE UID GID", "l PATH TARGET",
# "x DIR" (remove what the payload lacks in DIR).
stage_payload() {
	local s=$1 m=$1.manifest f
	mkdir -p "$s$OPT/bin" "$s$LIB_PATH" "$s/etc/neonet" "$s$UNIT_DIR"
	{
		for d in /opt "$OPT" "$OPT/bin" "$LIB_PATH" /usr /usr/local /usr/local/bin /etc /etc/neonet \
			/etc/systemd /etc/systemd/system "$UNIT_DIR/$wanted_by.wants"; do
			echo "d $d 755"
		done
		ln -s "$(readlink -f "$binary")" "$s$BIN_PATH"
		echo "f $BIN_PATH 755 0 0"
		echo "l $LINK_PATH $BIN_PATH"
		if [ -n "$libdir" ]; then
			for f in "$libdir"/*; do
				[ -f "$f" ] || continue
				ln -s "$(readlink -f "$f")" "$s$LIB_PATH/$(basename "$f")"
				echo "f $LIB_PATH/$(basename "$f") 644 0 0"
			done
			echo "x $LIB_PATH"
		fi
		cp "$config" "$s$CONF_PATH"
		echo "f $CONF_PATH 644 0 0"
		cp "$unit" "$s$UNIT_DIR/$unit_name"
		echo "f $UNIT_DIR/$unit_name 644 0 0"
		echo "l $UNIT_DIR/$wanted_by.wants/$unit_name $UNIT_DIR/$unit_name"
		if [ -n "$model_path" ]; then
			local dir=${model_path%/*} p=
			for part in ${dir//\// }; do
				p=$p/$part
				echo "d $p 755"
			done
			mkdir -p "$s$dir"
			ln -s "$(readlink -f "$model")" "$s$model_path"
			echo "f $model_path 644 0 0"
		fi
	} >"$m"
}

# ---------------------------------------------------------------- image mode

# ext4 access through debugfs at an offset inside the image.
ext() { debugfs "$@" "$rootfs" 2>&1; }

# ext_read MANIFEST CUR fills CUR with the image's current versions of the
# manifest's files (dump -p keeps mode and owner) and CUR.links/CUR.dirs with
# symlink targets and existing directories.
ext_read() {
	local m=$1 cur=$2 i=0 kind path rest
	rm -rf "$cur"
	mkdir -p "$cur"
	: >"$cur.links"
	: >"$cur.dirs"
	: >"$cur.cmds"
	while read -r kind path rest; do
		case $kind in
		f) i=$((i + 1)); echo "dump -p $path $cur/$i" >>"$cur.cmds" ;;
		esac
	done <"$m"
	ext -f "$cur.cmds" >/dev/null
	while read -r kind path rest; do
		case $kind in
		l) ext -R "stat $path" | sed -n "s|^Fast link dest: \"\(.*\)\"|$path \1|p" >>"$cur.links" ;;
		d) if ext -R "stat $path" | grep -q 'Type: directory'; then echo "$path" >>"$cur.dirs"; fi ;;
		x) ext -R "ls -p $path" | awk -F/ -v d="$path" 'NF >= 6 && $6 != "." && $6 != ".." { print "x " d "/" $6 }' >>"$cur.links" ;;
		esac
	done <"$m"
}

# ext_plan MANIFEST STAGE CUR prints the debugfs commands that make the image
# match the manifest (nothing when it already does).
# shellcheck disable=SC2094 # the manifest is only read
ext_plan() {
	local m=$1 s=$2 cur=$3 i=0 kind path a b c want
	while read -r kind path a b c; do
		case $kind in
		d)
			if ! grep -qxF "$path" "$cur.dirs"; then
				printf 'mkdir %s\nsif %s mode 040%s\nsif %s uid 0\nsif %s gid 0\n' "$path" "$path" "$a" "$path" "$path"
			fi
			;;
		f)
			i=$((i + 1))
			if [ -f "$cur/$i" ] && cmp -s "$s$path" "$cur/$i" &&
				[ "$(stat -c '%a %u %g' "$cur/$i")" = "$a $b $c" ]; then
				continue
			fi
			if [ -e "$cur/$i" ]; then echo "rm $path"; fi
			printf 'write %s %s\nsif %s mode 0100%s\nsif %s uid %s\nsif %s gid %s\n' \
				"$s$path" "$path" "$path" "$a" "$path" "$b" "$path" "$c"
			;;
		l)
			want="$path $a"
			grep -qxF "$want" "$cur.links" && continue
			if ext -R "stat $path" | grep -q '^Inode:'; then echo "rm $path"; fi
			echo "symlink $path $a"
			;;
		x)
			{ grep "^x $path/" "$cur.links" || true; } | while read -r _ p; do
				if ! grep -q "^f $p " "$m"; then echo "rm $p"; fi
			done
			;;
		esac
	done <"$m"
}

# fat_get NAME LOCAL copies a boot-partition file out; false if missing.
fat_get() { mcopy -n -i "$img@@$boot_off" "::/$1" "$2" 2>/dev/null; }
# fat_put LOCAL NAME writes it unless the partition already holds the same bytes.
fat_put() {
	local cur=$work/fat-cur
	rm -f "$cur"
	if fat_get "$2" "$cur" && cmp -s "$1" "$cur"; then return 0; fi
	mcopy -o -i "$img@@$boot_off" "$1" "::/$2" || die "$out: cannot write $2 into the boot partition"
	changed=1
}

# config_txt_uart IN OUT: enable_uart=1 in the [all] part of config.txt.
config_txt_uart() {
	awk '
		/^[[:space:]]*\[.*\][[:space:]]*$/ { sec = $0; gsub(/[][[:space:]]/, "", sec) }
		/^[[:space:]]*enable_uart[[:space:]]*=/ && (sec == "" || sec == "all") && !done { print "enable_uart=1"; done = 1; next }
		{ print }
		END { if (!done) { if (sec != "" && sec != "all") print "[all]"; print "enable_uart=1" } }' "$1" >"$2"
}

# cmdline_serial IN OUT: cmdline.txt without the serial consoles.
cmdline_serial() {
	awk '{
		out = ""
		for (i = 1; i <= NF; i++) if ($i !~ /^console=(serial[0-9]|ttyS[0-9]|ttyAMA[0-9])(,|$)/) out = out (out == "" ? "" : " ") $i
		print out
	}' "$1" >"$2"
}

# image_arch prints the Debian architecture of the image's userland: that
# of its dpkg executable, as `dpkg --print-architecture` would say (the
# loaders present say nothing: a 64-bit image may carry 32-bit libraries).
image_arch() {
	local f
	for f in /usr/bin/dpkg /bin/dpkg; do
		rm -f "$work/dpkg.elf"
		ext -R "dump $f $work/dpkg.elf" >/dev/null
		if [ -s "$work/dpkg.elf" ]; then
			elf_arch "$work/dpkg.elf"
			return 0
		fi
	done
}

image_mode() {
	need sfdisk mcopy mdir debugfs e2fsck resize2fs xz cmp
	[ -n "$out" ] || die "--image needs --out OUT.img (the input is never changed)"
	[ -f "$image" ] || die "$image: image not found"
	local outdir
	outdir=$(dirname "$out")
	[ -d "$outdir" ] || die "$outdir: output directory does not exist"
	[ -w "$outdir" ] || die "$outdir: output directory is not writable"
	if [ -n "$hostname" ] && ! [[ $hostname =~ ^[a-zA-Z0-9]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?$ ]]; then
		die "--hostname $hostname: expected letters, digits and inner hyphens, at most 63"
	fi
	if [ -n "$userconf" ] && ! [[ $userconf =~ ^[a-z_][a-z0-9_-]*:\$[0-9a-z]+\$[^:[:space:]]+$ ]]; then
		die "--user $userconf: expected NAME:HASH with a crypt(3) hash (openssl passwd -6)"
	fi

	work=$(mktemp -d)
	img=$(mktemp "$outdir/.flash-XXXXXX.img")
	trap 'rm -rf "$work" "$img" "$img.root"' EXIT
	case $image in
	*.xz) xz -T0 -dc "$image" >"$img" || die "$image: cannot decompress (expected an xz-compressed image)" ;;
	*) cp --sparse=always "$image" "$img" || die "$out: cannot copy $image here (disk full?)" ;;
	esac

	# The layout: an MBR with a FAT boot partition then a Linux root.
	local table
	table=$(sfdisk --json "$img" 2>/dev/null) || die "$image: no partition table (expected a Raspberry Pi OS image: MBR, FAT boot + ext4 root)"
	local parts
	parts=$(echo "$table" | awk -F'"' '
		/"label"/ { label = $4 }
		/"sectorsize"/ { gsub(/[^0-9]/, "", $3); ss = $3 }
		/"start"/ { n++; s = $0; gsub(/[^0-9]/, "", s); start[n] = s }
		/"size"/ { z = $0; gsub(/[^0-9]/, "", z); size[n] = z }
		/"type"/ { t[n] = $4 }
		END { print label, ss, start[1], t[1], start[2], t[2], size[2], n }')
	local label ss s1 t1 s2 t2
	read -r label ss s1 t1 s2 t2 root_sectors nparts <<<"$parts"
	[ "$label" = dos ] || die "$image: partition table is '${label:-none}', expected an MBR (dos) like Raspberry Pi OS"
	case ${t1:-} in b | c | e) ;; *) die "$image: partition 1 has type '${t1:-none}', expected FAT (c, b or e)" ;; esac
	[ "${t2:-}" = 83 ] || die "$image: partition 2 has type '${t2:-none}', expected Linux (83)"
	boot_off=$((s1 * ss))
	root_off=$((s2 * ss))
	rootfs="$img?offset=$root_off"
	export MTOOLS_SKIP_CHECK=1
	local f
	for f in config.txt cmdline.txt; do
		fat_get "$f" "$work/$f" || die "$image: boot partition has no $f (expected a Raspberry Pi OS boot partition)"
	done
	ext -R "stat /etc" | grep -q 'Type: directory' || die "$image: partition 2 is not an ext4 root with /etc"
	ext -R "stat $UNIT_DIR" | grep -q 'Type: directory' || die "$image: root has no $UNIT_DIR (expected a systemd system)"
	local arch
	arch=$(image_arch)
	[ -n "$arch" ] || die "$image: no /usr/bin/dpkg executable in the root, so its architecture is unknown (expected Raspberry Pi OS)"
	note "$image: $arch userland ($(bits "$arch"))"
	resolve_payload "$arch" "$image"
	changed=0

	# Boot partition.
	config_txt_uart "$work/config.txt" "$work/config.txt.new"
	fat_put "$work/config.txt.new" config.txt
	if [ "$serial_log" = 1 ]; then
		cmdline_serial "$work/cmdline.txt" "$work/cmdline.txt.new"
		fat_put "$work/cmdline.txt.new" cmdline.txt
	fi
	if [ "$ssh_on" = 1 ]; then
		: >"$work/ssh"
		fat_put "$work/ssh" ssh
	fi
	if [ -n "$userconf" ]; then
		echo "$userconf" >"$work/userconf.txt"
		fat_put "$work/userconf.txt" userconf.txt
	fi

	# Root partition: the payload, then the system files it touches.
	local s=$work/stage m=$work/stage.manifest
	stage_payload "$s"
	local cur=$work/cur
	if [ -n "$svc_user" ] || [ -n "$hostname" ]; then
		printf 'f /etc/passwd\nf /etc/group\nf /etc/shadow\nf /etc/gshadow\nf /etc/hostname\nf /etc/hosts\n' >"$work/sys.manifest"
		ext_read "$work/sys.manifest" "$work/sys"
		if [ -n "$svc_user" ]; then add_user "$work/sys" "$s" "$m"; fi
		if [ -n "$hostname" ]; then set_hostname "$work/sys" "$s" "$m"; fi
	fi
	ext_read "$m" "$cur"
	ext_plan "$m" "$s" "$cur" >"$work/plan"
	make_room "$work/plan"
	if [ -s "$work/plan" ]; then
		ext -w -f "$work/plan" >"$work/plan.log"
		changed=1
		ext_read "$m" "$cur"
		ext_plan "$m" "$s" "$cur" >"$work/left"
		if [ -s "$work/left" ]; then
			grep -Ei 'error|could not|no free|not found' "$work/plan.log" >&2 || cat "$work/plan.log" >&2
			die "$image: debugfs did not apply: $(head -3 "$work/left" | tr '\n' ';')"
		fi
	fi
	e2fsck -fn "$rootfs" >"$work/fsck.log" 2>&1 || { cat "$work/fsck.log" >&2; die "$out: the root filesystem does not check clean after the edit"; }
	mdir -i "$img@@$boot_off" ::/ >/dev/null || die "$out: the boot partition does not read back"

	chmod "$(printf '%o' $((0666 & ~$(umask))))" "$img"
	mv "$img" "$out"
	trap 'rm -rf "$work"' EXIT
	if [ "$changed" = 1 ]; then note "$out: written"; else note "$out: already up to date (identical to $image)"; fi
}

# make_room PLAN grows the image, its last partition (the root) and the ext4
# file system in it when the files PLAN writes do not fit. Raspberry Pi OS
# images come with little free space; the board grows the root to the whole
# card on first boot anyway.
make_room() {
	local stats bs free inodes need=0 files=0 f size
	stats=$(ext -R stats)
	bs=$(echo "$stats" | sed -n 's/^Block size: *//p')
	free=$(echo "$stats" | sed -n 's/^Free blocks: *//p')
	inodes=$(echo "$stats" | sed -n 's/^Free inodes: *//p')
	if [ -z "$bs" ] || [ -z "$free" ] || [ -z "$inodes" ]; then
		die "$image: cannot read the root file system's size (debugfs stats)"
	fi
	while read -r f; do
		size=$(stat -L -c %s "$f")
		need=$((need + (size + bs - 1) / bs + 1 + size / (bs * 256)))
		files=$((files + 1))
	done < <(awk '$1 == "write" { print $2 }' "$1")
	[ "$files" -lt "$inodes" ] || die "$image: the root file system has $inodes free inodes, $files needed"
	local margin=$((32 * 1024 * 1024 / bs))
	[ $((need + margin)) -gt "$free" ] || return 0
	[ "$nparts" = 2 ] || die "$image: the root needs $(((need + margin - free) * bs / 1048576)) MB more and is not the last partition; grow it first"
	# Whole 64 MiB steps.
	local chunk=$((64 * 1048576)) grow steps end
	steps=$((((need + margin - free) * bs + chunk - 1) / chunk))
	grow=$((steps * chunk))
	end=$(((s2 + root_sectors) * ss))
	[ "$(stat -c %s "$img")" -le "$end" ] || die "$image: space after the root partition, which needs $((grow / 1048576)) MB more; grow it first"
	truncate -s $((end + grow)) "$img" || die "$out: cannot grow the image by $((grow / 1048576)) MB (disk full?)"
	echo ", +" | sfdisk -N 2 --no-reread --no-tell-kernel -q "$img" >/dev/null 2>&1 || die "$out: sfdisk could not grow partition 2"
	# resize2fs on "$rootfs" would truncate the image to the file system's
	# size, ignoring the offset: grow a copy of the partition instead.
	local part=$img.root
	dd if="$img" of="$part" bs=4M iflag=skip_bytes,count_bytes skip="$root_off" count=$((root_sectors * ss)) \
		conv=sparse status=none || die "$out: cannot copy the root partition out (disk full?)"
	root_sectors=$((root_sectors + grow / ss))
	truncate -s $((root_sectors * ss)) "$part"
	resize2fs -f "$part" >"$work/resize.log" 2>&1 || { cat "$work/resize.log" >&2; die "$out: resize2fs failed"; }
	dd if="$part" of="$img" bs=4M oflag=seek_bytes seek="$root_off" conv=notrunc status=none ||
		die "$out: cannot write the grown root partition back (disk full?)"
	rm -f "$part"
	note "root partition grown by $((grow / 1048576)) MB to fit $((need * bs / 1048576)) MB (it had $((free * bs / 1048576)) MB free)"
}

# add_user SYS STAGE MANIFEST adds the unit's User= as a system user to the
# image's passwd, group, shadow and gshadow (dumped in SYS/1..4) unless present.
add_user() {
	local sys=$1 s=$2 m=$3 id f i=0
	if ! [ -f "$sys/1" ] || ! [ -f "$sys/2" ] || ! [ -f "$sys/3" ]; then
		die "$image: no /etc/passwd, /etc/group or /etc/shadow in the root partition"
	fi
	grep -q "^$svc_user:" "$sys/1" && return 0
	# The first id in adduser's system range free as both uid and gid.
	for ((id = 100; id < 1000; id++)); do
		cut -d: -f3 "$sys/1" | grep -qx "$id" && continue
		cut -d: -f3 "$sys/2" | grep -qx "$id" && continue
		break
	done
	[ "$id" -lt 1000 ] || die "$image: no free system uid in 100..999"
	for f in /etc/passwd /etc/group /etc/shadow /etc/gshadow; do
		i=$((i + 1))
		[ -f "$sys/$i" ] || continue
		cp -p "$sys/$i" "$s$f"
		case $f in
		/etc/passwd) echo "$svc_user:x:$id:$id:neonet:/nonexistent:/usr/sbin/nologin" ;;
		/etc/group) echo "$svc_user:x:$id:" ;;
		/etc/shadow) echo "$svc_user:!:::::::" ;;
		/etc/gshadow) echo "$svc_user:!::" ;;
		esac >>"$s$f"
		echo "f $f $(stat -c '%a %u %g' "$sys/$i")" >>"$m"
	done
	note "adding system user $svc_user (uid $id)"
}

# set_hostname SYS STAGE MANIFEST writes /etc/hostname and /etc/hosts.
set_hostname() {
	local sys=$1 s=$2 m=$3
	echo "$hostname" >"$s/etc/hostname"
	echo "f /etc/hostname 644 0 0" >>"$m"
	if [ -f "$sys/6" ]; then
		awk -v h="$hostname" '/^127\.0\.1\.1[[:space:]]/ { if (!done) print "127.0.1.1\t" h; done = 1; next }
			{ print } END { if (!done) print "127.0.1.1\t" h }' "$sys/6" >"$s/etc/hosts"
		echo "f /etc/hosts $(stat -c '%a %u %g' "$sys/6")" >>"$m"
	fi
}

# ---------------------------------------------------------------- device mode

# removable DEV: whether DEV looks like an SD card: removable media,
# hot-pluggable, or on the usb or mmc bus (a laptop's built-in reader is
# mmcblk with RM=0).
removable() {
	local rm hotplug tran
	read -r rm hotplug tran < <(lsblk -dno RM,HOTPLUG,TRAN "$1")
	[ "$rm" = 1 ] || [ "$hotplug" = 1 ] || [ "$tran" = usb ] || [ "$tran" = mmc ] ||
		case $(basename "$1") in mmcblk*) true ;; *) false ;; esac
}

device_mode() {
	need lsblk dd sha256sum findmnt
	[ -f "$image" ] || die "$image: image not found"
	case $image in *.xz) die "$image: decompress it first (xz -dk), or make it with --image ... --out" ;; esac
	local dev size img_size
	dev=$(readlink -f "$device")
	img_size=$(stat -L -c %s "$image")
	if [ -b "$dev" ]; then
		[ "$(lsblk -dno TYPE "$dev")" = disk ] || die "$device: is a $(lsblk -dno TYPE "$dev"), expected a whole disk (e.g. /dev/sdb, not /dev/sdb1)"
		local mounts
		mounts=$(lsblk -nro MOUNTPOINT "$dev" | sed '/^$/d')
		[ -z "$mounts" ] || die "$device: mounted at $(echo "$mounts" | tr '\n' ' ')- unmount it first"
		grep -q "^$dev" /proc/swaps && die "$device: used as swap"
		# The disks under /: the root source and every device it sits on.
		local rootsrc
		rootsrc=$(findmnt -no SOURCE /)
		if [ -b "$rootsrc" ]; then
			while read -r name type; do
				[ "$type" = disk ] && [ "/dev/$name" = "$dev" ] && die "$device: holds the running system (/)"
			done < <(lsblk -snro NAME,TYPE "$rootsrc")
		fi
		removable "$dev" || [ "$allow_fixed" = 1 ] ||
			die "$device: not a removable disk ($(lsblk -dno TRAN,MODEL "$dev" | xargs)) - an internal disk? Pass --allow-non-removable if it really is the card"
		size=$(lsblk -bdno SIZE "$dev")
	elif [ -f "$dev" ]; then
		[ "$allow_file" = 1 ] || die "$device: not a block device (pass --allow-file to write into a regular file)"
		[ "$(findmnt -no TARGET --source "$dev" 2>/dev/null)" = "" ] || die "$device: mounted - unmount it first"
		if command -v losetup >/dev/null && [ -n "$(losetup -j "$dev" 2>/dev/null)" ]; then
			die "$device: attached to a loop device ($(losetup -j "$dev" | cut -d: -f1)) - detach it first"
		fi
		[ "$dev" != "$(readlink -f "$image")" ] || die "$device: is the image itself"
		size=$(stat -c %s "$dev")
	else
		die "$device: no such block device"
	fi
	local gb=$((1000 * 1000 * 1000))
	[ "$size" -ge $((4 * gb)) ] || die "$device: $((size / 1000000)) MB is too small for an SD card (expected 4 GB to 512 GB)"
	[ "$size" -le $((512 * gb)) ] || die "$device: $((size / gb)) GB is too large for an SD card (expected 4 GB to 512 GB) - wrong disk?"
	[ "$size" -ge "$img_size" ] || die "$device: $size bytes is smaller than $image ($img_size bytes)"

	if [ -b "$dev" ]; then
		lsblk -o NAME,MODEL,SIZE,TRAN,RM "$dev" >&2
	else
		note "$device: regular file of $((size / 1000000)) MB"
	fi
	if [ "$yes" != 1 ]; then
		printf 'Erase %s and write %s? Type yes: ' "$device" "$image" >&2
		local answer=
		read -r answer || true
		[ "$answer" = yes ] || die "not confirmed; nothing written"
	fi
	local want
	want=$(sha256sum <"$image" | cut -d' ' -f1)
	dd if="$image" of="$dev" bs=4M conv=fsync,notrunc status=progress || die "$device: dd failed"
	sync
	if [ -b "$dev" ]; then blockdev --flushbufs "$dev" 2>/dev/null || true; fi
	local got
	got=$(head -c "$img_size" "$dev" | sha256sum | cut -d' ' -f1)
	[ "$got" = "$want" ] || die "$device: read-back checksum $got differs from the image's $want - bad card?"
	note "$device: written and verified (sha256 $want)"
}

# ---------------------------------------------------------------- SSH mode

# The script run on the board (bash -s): install the staged files, keep the
# previous ones, restart, and roll back if the service does not stay active.
remote_script() {
	cat <<'EOF'
set -euo pipefail
root=${1%/} unit=$2 wanted=$3 model=$4 user=$5 timeout=$6 settle=$7
stage=$root/opt/neonet/.staging
say() { echo "remote: $*" >&2; }
files="/opt/neonet/bin/neonet /etc/neonet/neonet.toml /etc/systemd/system/$unit"
[ -n "$model" ] && files="$files $model"
# Keep the previous files as hard links (*.prev) and the previous library
# directory by renaming it; the new ones are renamed into place, so every
# path always names a whole file and nothing is copied twice on the card.
had_prev=0
for f in $files; do
	rm -f "$root$f.prev"
	if [ -e "$root$f" ]; then
		ln -f "$root$f" "$root$f.prev" 2>/dev/null || cp -a "$root$f" "$root$f.prev"
		had_prev=1
	fi
	mkdir -p "$(dirname "$root$f")"
	chmod 644 "$stage$f"
	mv -f "$stage$f" "$root$f"
done
chmod 755 "$root/opt/neonet/bin/neonet"
rm -rf "$root/opt/neonet/lib.prev"
if [ -e "$root/opt/neonet/lib" ]; then mv "$root/opt/neonet/lib" "$root/opt/neonet/lib.prev"; fi
chmod 755 "$stage/opt/neonet/lib"
find "$stage/opt/neonet/lib" -type f -exec chmod 644 {} +
mv "$stage/opt/neonet/lib" "$root/opt/neonet/lib"
mkdir -p "$root/usr/local/bin"
ln -sfn /opt/neonet/bin/neonet "$root/usr/local/bin/neonet"
if [ -n "$user" ] && ! getent passwd "$user" >/dev/null && [ "$root" = "" ]; then
	useradd --system --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin "$user"
	say "added system user $user"
fi
rm -rf "$stage"
# active_for T S: active within T seconds, and still active S seconds later.
active_for() {
	local i=0
	until systemctl is-active --quiet "$unit"; do
		i=$((i + 1)); [ "$i" -le "$1" ] || return 1; sleep 1
	done
	sleep "$2"
	systemctl is-active --quiet "$unit"
}
systemctl daemon-reload
systemctl enable "$unit"
systemctl restart "$unit" || true
if active_for "$timeout" "$settle"; then
	say "$unit is active"
	exit 0
fi
say "$unit did not become active; rolling back"
if [ "$had_prev" = 0 ]; then
	systemctl disable --now "$unit" || true
	say "no previous installation to roll back to; $unit stopped and disabled"
	exit 3
fi
for f in $files; do
	if [ -e "$root$f.prev" ]; then mv -f "$root$f.prev" "$root$f"; fi
done
if [ -e "$root/opt/neonet/lib.prev" ]; then
	rm -rf "$root/opt/neonet/lib"
	mv "$root/opt/neonet/lib.prev" "$root/opt/neonet/lib"
fi
systemctl daemon-reload
systemctl restart "$unit" || true
if active_for "$timeout" 0; then
	say "rolled back to the previous binary and model; $unit is active again"
else
	say "rolled back to the previous binary and model, but $unit is still not active"
fi
exit 3
EOF
}

ssh_mode() {
	need ssh tar
	[[ $host =~ ^[^@[:space:]]+@[^@[:space:]]+$ ]] || die "--host $host: expected USER@HOST"
	[[ $port =~ ^[0-9]+$ ]] || die "--port $port: expected a number"
	[[ $timeout =~ ^[0-9]+$ ]] || die "--timeout $timeout: expected whole seconds"
	[[ $settle =~ ^[0-9]+$ ]] || die "--settle $settle: expected whole seconds"
	[ -z "$identity" ] || [ -f "$identity" ] || die "$identity: SSH key not found"
	local sshcmd=(ssh -p "$port" -o BatchMode=yes -o ConnectTimeout=10 "${ssh_opts[@]}")
	[ -z "$identity" ] || sshcmd+=(-i "$identity" -o IdentitiesOnly=yes)
	# The userland's architecture, not the kernel's: a Pi 4 running 32-bit
	# Raspberry Pi OS has a 64-bit kernel (uname -m says aarch64).
	local remote arch machine
	remote=$("${sshcmd[@]}" "$host" 'dpkg --print-architecture && uname -m') ||
		die "$host: cannot ask the board for its architecture (ssh -p $port; is the board up, the key authorised?)"
	read -r arch machine <<<"${remote//$'\n'/ }"
	if [ "$arch" = armhf ] && [[ $machine == armv6* ]]; then
		die "$host: an ARMv6 CPU ($machine: a Pi 1 or Zero); the 32-bit neonet is built for ARMv7 and later (Pi 2, 3, 4, 5, Zero 2)"
	fi
	note "$host: $arch userland ($(bits "$arch")) on an $machine kernel"
	resolve_payload "$arch" "$host"
	work=$(mktemp -d)
	trap 'rm -rf "$work"' EXIT
	stage_payload "$work/stage"
	local rroot=${remote_root%/}
	note "copying to $host:$rroot$OPT/.staging"
	# The enable symlink is made by systemctl enable on the board.
	rm -f "$work/stage$LINK_PATH" "$work/stage$UNIT_DIR/$wanted_by.wants/$unit_name"
	# Root runs the commands itself, anyone else through password-less sudo.
	# shellcheck disable=SC2016 # expanded on the board
	local as_root='S=; [ "$(id -u)" = 0 ] || S="sudo -n";' staging
	staging=$(printf '%q' "$rroot$OPT/.staging")
	tar -C "$work/stage" -chf - . |
		"${sshcmd[@]}" "$host" "$as_root \$S rm -rf $staging && \$S mkdir -p $staging && \$S tar -C $staging -xf - --no-same-owner" ||
		die "$host: copy failed (ssh -p $port; is the board up, the key authorised, sudo password-less?)"
	local rc=0 args
	args=$(printf '%q ' "$rroot" "$unit_name" "$wanted_by" "$model_path" "$svc_user" "$timeout" "$settle")
	remote_script | "${sshcmd[@]}" "$host" "$as_root \$S bash -s -- $args" || rc=$?
	case $rc in
	0) note "$host: deployed; $unit_name is active" ;;
	3) die "$host: $unit_name did not become active with the new files; rolled back to the previous binary and model (see: journalctl -u $unit_name)" ;;
	*) die "$host: deploy failed (exit $rc)" ;;
	esac
}

# ---------------------------------------------------------------- dispatch

if [ -n "$host" ]; then
	[ -z "$image$device$out" ] || die "--host does not combine with --image, --out or --device"
	ssh_mode
elif [ -n "$device" ]; then
	[ -n "$image" ] || die "--device needs --image OUT.img"
	[ -z "$out" ] || die "--device does not combine with --out"
	device_mode
elif [ -n "$image" ]; then
	image_mode
else
	usage >&2
	die "choose a mode: --image with --out, --device with --image, or --host"
fi
