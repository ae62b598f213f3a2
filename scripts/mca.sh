#!/usr/bin/env bash
# mca.sh: static throughput of the int8 kernels' inner loops.
#
# Builds the arm64 test binary of kernels/q8/arm64, disassembles the innermost
# loop of each kernel listed in scripts/mca_kernels.txt from the built
# binary, runs llvm-mca on it for Cortex-A53 (Raspberry Pi 3 and Zero 2 W),
# Cortex-A72 (Raspberry Pi 4) and Neoverse-N1 (the A76's server twin, the
# model LLVM has for the Raspberry Pi 5's core), and prints one table row
# per kernel and CPU.
#
# Peaks, int8 MACs per cycle: A53 8 in LLVM's model (one 8-lane SMULL/SMLAL
# per cycle on its one NEON pipe; the core is in order, so latencies the
# loop does not hide count too); A72 8 (one 8-lane SMULL/SMLAL per cycle, on
# its single integer-multiply pipe F0); N1 8 on the NEON path (integer
# multiplies issue on V0 only) and 32 with SDOT (16 MACs, on V0 and V1). The
# A53 has no SDOT.
#
# Needs llvm-16 and binutils-aarch64-linux-gnu. Usage: scripts/mca.sh
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
table="$root/scripts/mca_kernels.txt"
MCA=${MCA:-llvm-mca-16}
OBJDUMP=${OBJDUMP:-aarch64-linux-gnu-objdump}
GO=${GO:-go}
pkg=neonet.dev/neonet/kernels/q8/arm64

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
(cd "$root" && GOARCH=arm64 "$GO" test -c -o "$work/arm64.test" ./kernels/q8/arm64)

peak() { # cpu path
	case "$1/$2" in
	cortex-a53/neon) echo 8 ;;
	cortex-a72/neon) echo 8 ;;
	neoverse-n1/neon) echo 8 ;;
	neoverse-n1/neondot) echo 32 ;;
	*) echo 0 ;;
	esac
}

# innerloop SYMBOL: the instructions of the function's shortest backward
# branch range (the innermost loop), branches removed, as llvm-mca input.
innerloop() {
	"$OBJDUMP" -d --no-show-raw-insn --disassemble="$pkg.$1.abi0" "$work/arm64.test" | awk '
		function hex(s,   v, i) { v = 0; for (i = 1; i <= length(s); i++) v = v * 16 + index("0123456789abcdef", substr(s, i, 1)) - 1; return v }
		/^ +[0-9a-f]+:\t/ {
			addr = hex(substr($1, 1, length($1) - 1))
			sub(/^ +[0-9a-f]+:\t/, ""); sub(/\t*\/\/.*$/, "")
			n++; at[n] = addr; text[n] = $0
			if ($1 ~ /^(b(\.[a-z]+)?|cbn?z|tbn?z)$/) {
				target = hex($(NF - 1))
				if (target < addr && (best == 0 || addr - target < best)) { best = addr - target; from = target; to = addr }
			}
		}
		END {
			if (best == 0) exit 1
			for (i = 1; i <= n; i++)
				if (at[i] >= from && at[i] < to) print text[i]
		}'
}

printf "%-30s %-12s %8s %6s %10s %7s\n" kernel cpu cycles/it MACs/it MACs/cycle "% peak"
grep -v '^[[:space:]]*\(#\|$\)' "$table" | while read -r sym macs path _; do
	innerloop "$sym" >"$work/$sym.s" || { echo "$sym: no loop found in the binary" >&2; exit 1; }
	for cpu in cortex-a53 cortex-a72 neoverse-n1; do
		p=$(peak "$cpu" "$path")
		[ "$p" = 0 ] && continue # the CPU lacks the path's instructions
		cycles=$("$MCA" -mtriple=aarch64 -mcpu="$cpu" -mattr=+dotprod -iterations=200 "$work/$sym.s" 2>/dev/null |
			awk '/^Iterations:/ {it = $2} /^Total Cycles:/ {c = $3} END {printf "%.2f", c / it}')
		awk -v s="$sym" -v c="$cpu" -v cy="$cycles" -v m="$macs" -v p="$p" 'BEGIN {
			printf "%-30s %-12s %8.2f %6d %10.2f %6.0f%%\n", s, c, cy, m, m / cy, 100 * m / cy / p }'
	done
done
